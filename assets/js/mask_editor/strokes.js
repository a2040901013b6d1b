/**
 * Pointer input for the mask editor: brush and eraser strokes, panning, two-finger pinch, the brush ring.
 *
 * Pointer events cover mouse, pen and touch (touch-action: none). Strokes are drawn straight into the mask
 * canvas in image coordinates (screen point -> (point - offset) / zoom), so zooming never changes the mask's
 * resolution; a finished stroke becomes one operation in the log. Two fingers pinch-zoom and pan; the middle
 * mouse button, the hand tool and Space+drag pan. Everything a move touches lives in the shared engine
 * (`eng.current`: pointers, mode, stroke, pan, pinch, ring), so no pointer move re-renders.
 */
import { useCallback } from "react";
import { clamp, drawSegment } from "./paint.js";
import { MAX_ZOOM, MIN_ZOOM } from "./viewport.js";

/** Places the circle that previews the brush under the pointer (hidden for the hand and while panning). */
export function useBrushRing({ eng, live, ringRef, viewportRef }) {
  return useCallback(() => {
    const e = eng.current;
    const ring = ringRef.current;
    if (!ring) return;
    const t = live.current.tool;
    const show = e.ring && t !== "hand" && !e.space && e.mode !== "pan" && e.mode !== "pinch";
    if (viewportRef.current) viewportRef.current.dataset.ring = show ? "true" : "false";
    if (!show) {
      ring.style.display = "none";
      return;
    }
    const d = Math.max(4, live.current.size * e.view.zoom);
    Object.assign(ring.style, {
      display: "block", width: `${d}px`, height: `${d}px`,
      transform: `translate(${e.ring.x - d / 2}px, ${e.ring.y - d / 2}px)`,
    });
    ring.dataset.eraser = t === "eraser" ? "true" : "false";
  }, [eng, live, ringRef, viewportRef]);
}

/** The viewport's pointer handlers. `log` is the operation log (maskCtx, commit, rebuild). */
export function usePointerStrokes({ eng, live, viewportRef, log, applyView, updateRing, setDragging }) {
  const { maskCtx, commit, rebuild } = log;

  const toLocal = (ev) => {
    const r = viewportRef.current.getBoundingClientRect();
    return { x: ev.clientX - r.left, y: ev.clientY - r.top };
  };
  const toImage = (p) => {
    const v = eng.current.view;
    return { x: (p.x - v.x) / v.zoom, y: (p.y - v.y) / v.zoom };
  };

  const cancelStroke = () => {
    const e = eng.current;
    if (e.mode === "stroke") {
      e.stroke = null;
      e.mode = null;
      rebuild();
    }
  };

  const startPinch = () => {
    const e = eng.current;
    const [a, b] = [...e.pointers.values()];
    e.mode = "pinch";
    e.pinch = {
      dist: Math.hypot(a.x - b.x, a.y - b.y) || 1,
      mid: { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 },
      view: { ...e.view },
    };
  };

  const onPointerDown = (ev) => {
    const e = eng.current;
    if (!e.w) return;
    viewportRef.current.focus({ preventScroll: true });
    const p = toLocal(ev);
    e.pointers.set(ev.pointerId, { ...p, type: ev.pointerType });
    try {
      viewportRef.current.setPointerCapture(ev.pointerId);
    } catch (_) { /* synthetic events */ }
    ev.preventDefault();
    if (e.pointers.size === 2 && ev.pointerType === "touch") {
      cancelStroke();
      e.pan = null;
      startPinch();
      updateRing();
      return;
    }
    if (e.pointers.size > 1) return;
    const t = live.current.tool;
    if (ev.button === 1 || t === "hand" || e.space) {
      e.mode = "pan";
      e.pan = { start: p, view: { ...e.view } };
      setDragging(true);
      updateRing();
      return;
    }
    if (ev.button !== 0 && !(ev.pointerType === "pen" && ev.button === 5)) return;
    // A pen's eraser end (button 5) erases whatever tool is selected.
    const erase = t === "eraser" || (ev.pointerType === "pen" && ev.button === 5);
    const op = { type: "stroke", mode: erase ? "erase" : "paint", size: live.current.size, points: [toImage(p)] };
    e.mode = "stroke";
    e.stroke = op;
    drawSegment(maskCtx(), op, live.current.overlayColor, op.points[0]);
  };

  const onPointerMove = (ev) => {
    const e = eng.current;
    const p = toLocal(ev);
    if (ev.pointerType !== "touch") e.ring = p;
    if (e.pointers.has(ev.pointerId)) e.pointers.set(ev.pointerId, { ...p, type: ev.pointerType });
    if (e.mode === "pinch" && e.pointers.size >= 2) {
      const [a, b] = [...e.pointers.values()];
      const pin = e.pinch;
      const dist = Math.hypot(a.x - b.x, a.y - b.y) || 1;
      const mid = { x: (a.x + b.x) / 2, y: (a.y + b.y) / 2 };
      const nz = clamp(pin.view.zoom * (dist / pin.dist), MIN_ZOOM, MAX_ZOOM);
      const k = nz / pin.view.zoom;
      e.view = { zoom: nz, x: mid.x - (pin.mid.x - pin.view.x) * k, y: mid.y - (pin.mid.y - pin.view.y) * k };
      e.fitted = false;
      applyView();
      return;
    }
    if (e.mode === "pan" && e.pan) {
      e.view = { ...e.pan.view, x: e.pan.view.x + p.x - e.pan.start.x, y: e.pan.view.y + p.y - e.pan.start.y };
      e.fitted = false;
      applyView();
      return;
    }
    if (e.mode === "stroke" && e.stroke && e.pointers.has(ev.pointerId)) {
      const events = ev.nativeEvent.getCoalescedEvents ? ev.nativeEvent.getCoalescedEvents() : [];
      const samples = events.length ? events.map(toLocal) : [p];
      const ctx = maskCtx();
      const op = e.stroke;
      for (const s of samples) {
        const q = toImage(s);
        const last = op.points[op.points.length - 1];
        if (Math.abs(q.x - last.x) + Math.abs(q.y - last.y) < 0.35) continue;
        op.points.push(q);
        drawSegment(ctx, op, live.current.overlayColor, last, q);
      }
    }
    updateRing();
  };

  const onPointerEnd = (ev) => {
    const e = eng.current;
    e.pointers.delete(ev.pointerId);
    if (e.mode === "stroke" && e.stroke) {
      const op = e.stroke;
      e.stroke = null;
      e.mode = null;
      if (ev.type === "pointercancel") rebuild();
      else commit(op, { applied: true });
    } else if (e.mode === "pinch") {
      if (e.pointers.size < 2) {
        e.mode = e.pointers.size ? "done" : null; // the remaining finger does nothing until lifted
        e.pinch = null;
      }
    } else if (e.mode === "pan") {
      e.mode = null;
      e.pan = null;
      setDragging(false);
    } else if (!e.pointers.size) {
      e.mode = null;
    }
    updateRing();
  };

  const onPointerLeave = (ev) => {
    if (ev.pointerType !== "touch") {
      eng.current.ring = null;
      updateRing();
    }
  };

  return { onPointerDown, onPointerMove, onPointerUp: onPointerEnd, onPointerCancel: onPointerEnd, onPointerLeave };
}
