/**
 * The mask editor's viewport: zoom and pan.
 *
 * The view (image + mask canvas) is one DOM layer moved with a CSS transform (translate + scale); the
 * browser composites it, so zoom and pan cost no repaint of the mask. The view lives in the shared engine
 * (`eng.current.view`: zoom, x, y; `fitted` while the user has not zoomed or panned by hand).
 */
import { useCallback, useEffect } from "react";
import { clamp } from "./paint.js";

export const MIN_ZOOM = 0.02;
export const MAX_ZOOM = 32;
export const ZOOM_STEP = 1.25;

/**
 * `setZoom` receives the zoom for the toolbar (once per frame); `onViewChange` runs after every move
 * (the brush ring follows the view).
 */
export function useViewport({ eng, rootRef, viewportRef, stageRef, checkerRef, setZoom, onViewChange }) {
  const applyView = useCallback(() => {
    const e = eng.current;
    const { zoom: z, x, y } = e.view;
    if (stageRef.current) {
      stageRef.current.style.transform = `translate(${x}px, ${y}px) scale(${z})`;
      stageRef.current.dataset.pixelated = z >= 2 ? "true" : "false";
    }
    if (checkerRef.current) {
      Object.assign(checkerRef.current.style, {
        width: `${e.w * z}px`, height: `${e.h * z}px`, transform: `translate(${x}px, ${y}px)`,
      });
    }
    if (rootRef.current) rootRef.current.dataset.zoom = z.toFixed(4);
    cancelAnimationFrame(e.timers.zoomFrame);
    e.timers.zoomFrame = requestAnimationFrame(() => setZoom(z));
    onViewChange();
  }, [eng, rootRef, stageRef, checkerRef, setZoom, onViewChange]);

  const fit = useCallback(() => {
    const e = eng.current;
    const vp = viewportRef.current;
    if (!vp || !e.w) return;
    const pad = 24;
    const cw = vp.clientWidth, ch = vp.clientHeight;
    const z = clamp(Math.min((cw - pad * 2) / e.w, (ch - pad * 2) / e.h), MIN_ZOOM, MAX_ZOOM);
    e.view = { zoom: z, x: (cw - e.w * z) / 2, y: (ch - e.h * z) / 2 };
    e.fitted = true;
    applyView();
  }, [eng, viewportRef, applyView]);

  /** Zoom to `z`, keeping the viewport point (px, py) fixed (defaults to the centre). */
  const zoomTo = useCallback(
    (z, px, py) => {
      const e = eng.current;
      const vp = viewportRef.current;
      if (!vp || !e.w) return;
      if (px === undefined) {
        px = vp.clientWidth / 2;
        py = vp.clientHeight / 2;
      }
      const nz = clamp(z, MIN_ZOOM, MAX_ZOOM);
      const k = nz / e.view.zoom;
      e.view = { zoom: nz, x: px - (px - e.view.x) * k, y: py - (py - e.view.y) * k };
      e.fitted = false;
      applyView();
    },
    [eng, viewportRef, applyView],
  );

  const zoomBy = useCallback((factor, px, py) => zoomTo(eng.current.view.zoom * factor, px, py), [eng, zoomTo]);

  const panBy = useCallback(
    (dx, dy) => {
      const e = eng.current;
      e.view = { ...e.view, x: e.view.x + dx, y: e.view.y + dy };
      e.fitted = false;
      applyView();
    },
    [eng, applyView],
  );

  // Refit on resize while the user has not zoomed/panned by hand.
  useEffect(() => {
    const vp = viewportRef.current;
    if (!vp || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (eng.current.fitted) fit();
    });
    ro.observe(vp);
    return () => ro.disconnect();
  }, [eng, viewportRef, fit]);

  // Wheel / trackpad pinch zoom: a native, non-passive listener so the page does not scroll.
  useEffect(() => {
    const vp = viewportRef.current;
    if (!vp) return;
    const onWheel = (ev) => {
      if (!eng.current.w) return;
      ev.preventDefault();
      const unit = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? vp.clientHeight : 1;
      const r = vp.getBoundingClientRect();
      const px = ev.clientX - r.left, py = ev.clientY - r.top;
      if (ev.shiftKey && !ev.ctrlKey) {
        panBy(-(ev.deltaY || ev.deltaX) * unit, 0);
        return;
      }
      const speed = ev.ctrlKey ? 0.01 : 0.0015; // ctrl+wheel = trackpad pinch: small deltas
      zoomBy(Math.exp(-ev.deltaY * unit * speed), px, py);
    };
    vp.addEventListener("wheel", onWheel, { passive: false });
    return () => vp.removeEventListener("wheel", onWheel);
  }, [eng, viewportRef, zoomBy, panBy]);

  return { applyView, fit, zoomTo, zoomBy, panBy };
}
