/**
 * Palett mask editor: paint the area to regenerate (inpainting) over an image.
 *
 * Wrapped for Python by palett/components/mask_editor.py (read that module's docstring for the API).
 * This file holds the component: its props, image loading, the imperative handle and the layout. The parts
 * live in ./mask_editor/ (plain relative imports, bundled by Vite from .web/public in dev and prod builds):
 * - paint.js: canvas drawing in image pixels, and reading the mask back;
 * - history.js: the undo/redo operation log;
 * - viewport.js: zoom and pan (one CSS transform, no repaint of the mask);
 * - strokes.js: pointer input (brush and eraser strokes, panning, pinch) and the brush ring;
 * - shortcuts.js: keyboard shortcuts;
 * - toolbar.jsx: the toolbar and the hints footer;
 * - mask_editor.css: the look, rendered here in a hoisted <style>.
 *
 * The mask lives in a <canvas> at the IMAGE's natural pixel size and stores the overlay colour, fully
 * opaque where painted. Export: alpha >= 50% -> white, else black, at the image's natural size, encoded as
 * PNG and handed to `onExport(dataUrl)`. The image itself is never drawn into a canvas, so cross-origin
 * images cannot taint the export.
 * Rendered during the prerender too: nothing here touches `window`/`document` outside effects and handlers.
 */
import { useCallback, useEffect, useId, useImperativeHandle, useRef, useState } from "react";
import { Spinner, Text } from "@radix-ui/themes";
import CSS from "./mask_editor/mask_editor.css?raw";
import { useOperationLog } from "./mask_editor/history.js";
import { clamp, recolor } from "./mask_editor/paint.js";
import { useShortcuts } from "./mask_editor/shortcuts.js";
import { useBrushRing, usePointerStrokes } from "./mask_editor/strokes.js";
import { HintsFooter, Toolbar } from "./mask_editor/toolbar.jsx";
import { ZOOM_STEP, useViewport } from "./mask_editor/viewport.js";

export function MaskEditor({
  src,
  alt = "",
  brushSize,
  minBrushSize = 2,
  maxBrushSize,
  overlayColor = "#7c3aed",
  overlayOpacity = 0.55,
  exportTrigger,
  autoExport = false,
  exportLabel = "",
  showHints = true,
  label = "Mask editor",
  onExport,
  onMaskChange,
  onReady,
  className = "",
  style,
  id,
  ref,
  ...rest
}) {
  const rootRef = useRef(null);
  const viewportRef = useRef(null);
  const stageRef = useRef(null);
  const checkerRef = useRef(null);
  const imgRef = useRef(null);
  const maskRef = useRef(null);
  const ringRef = useRef(null);

  // Everything the pointer handlers touch lives here (no re-render per pointer move).
  const eng = useRef(null);
  if (eng.current === null) {
    eng.current = {
      w: 0, h: 0, base: null, ops: [], redo: [],
      view: { zoom: 1, x: 0, y: 0 }, fitted: true,
      pointers: new Map(), mode: null, stroke: null, pan: null, pinch: null,
      space: false, ring: null, lastPainted: null, timers: {},
    };
  }

  const [ready, setReady] = useState(false);
  const [failed, setFailed] = useState(false);
  const [dims, setDims] = useState({ w: 0, h: 0 });
  const [tool, setToolState] = useState("brush");
  const [size, setSizeState] = useState(brushSize || 0);
  const [zoom, setZoomState] = useState(1);
  const [hist, setHist] = useState({ undo: 0, redo: 0 });
  const [announce, setAnnounce] = useState("");
  const [spaceHeld, setSpaceHeld] = useState(false);
  const [dragging, setDragging] = useState(false);

  // Latest props/state for handlers bound once.
  const live = useRef({});
  live.current = { tool, size, brushSize, overlayColor, onExport, onMaskChange, onReady, autoExport };

  const maxSize = maxBrushSize || Math.max(8, Math.round(Math.max(dims.w, dims.h) / 4)) || 256;
  const sizeRef = useRef({ min: minBrushSize, max: maxSize });
  sizeRef.current = { min: minBrushSize, max: maxSize };

  const updateRing = useBrushRing({ eng, live, ringRef, viewportRef });
  const view = useViewport({
    eng, rootRef, viewportRef, stageRef, checkerRef, setZoom: setZoomState, onViewChange: updateRing,
  });
  const log = useOperationLog({ eng, live, maskRef, setHist, setAnnounce });
  const { fit, zoomBy } = view;

  /* ---------------------------------------------------------------- tools */

  const setTool = useCallback((t) => {
    setToolState(t);
    setAnnounce(t === "brush" ? "Brush" : t === "eraser" ? "Eraser" : "Hand: drag to pan");
  }, []);

  const setSize = useCallback((v) => {
    const { min, max } = sizeRef.current;
    setSizeState(Math.round(clamp(v, min, max)));
  }, []);

  const stepSize = useCallback((dir) => {
    setSizeState((s) => {
      const { min, max } = sizeRef.current;
      const next = dir > 0 ? Math.max(s + 1, s * 1.2) : Math.min(s - 1, s / 1.2);
      return Math.round(clamp(next, min, max));
    });
  }, []);

  useEffect(() => updateRing(), [size, tool, zoom, updateRing]);

  /* ---------------------------------------------------------------- image loading */

  const { start: startLog } = log;
  const init = useCallback(() => {
    const img = imgRef.current;
    if (!img || !img.naturalWidth) return;
    const e = eng.current;
    const w = img.naturalWidth, h = img.naturalHeight;
    if (e.w === w && e.h === h && e.src === img.currentSrc) return;
    e.w = w;
    e.h = h;
    e.src = img.currentSrc;
    startLog(w, h);
    const mask = maskRef.current;
    mask.width = w;
    mask.height = h;
    Object.assign(mask.style, { width: `${w}px`, height: `${h}px` });
    Object.assign(img.style, { width: `${w}px`, height: `${h}px` });
    Object.assign(stageRef.current.style, { width: `${w}px`, height: `${h}px` });
    setDims({ w, h });
    if (!live.current.brushSize) setSizeState(Math.max(4, Math.round(Math.max(w, h) / 16)));
    setFailed(false);
    setReady(true);
    fit();
    live.current.onReady?.({ width: w, height: h });
  }, [fit, startLog]);

  // A new image starts a new mask.
  useEffect(() => {
    setReady(false);
    setFailed(false);
    const e = eng.current;
    e.w = e.h = 0;
    e.src = null;
    const img = imgRef.current;
    if (img && img.complete && img.naturalWidth) init(); // loaded before hydration
  }, [src, init]);

  useEffect(() => {
    if (brushSize) setSize(brushSize);
  }, [brushSize, setSize]);

  // Re-colour when the overlay colour changes.
  useEffect(() => {
    const e = eng.current;
    if (e.base) recolor(e.base, overlayColor);
    if (maskRef.current && e.w) recolor(maskRef.current, overlayColor);
  }, [overlayColor]);

  // Export when the trigger changes (not for the value present at mount).
  const firstTrigger = useRef(exportTrigger);
  const { exportMask } = log;
  useEffect(() => {
    if (exportTrigger === firstTrigger.current || exportTrigger === undefined || exportTrigger === null) return;
    firstTrigger.current = exportTrigger;
    exportMask();
  }, [exportTrigger, exportMask]);

  useImperativeHandle(
    ref,
    () => ({
      exportMask, undo: log.undo, redo: log.redo, clear: log.clear, invert: log.invert, fit,
      zoomIn: () => zoomBy(ZOOM_STEP), zoomOut: () => zoomBy(1 / ZOOM_STEP),
      setTool, setBrushSize: setSize, hasMask: log.hasPaint,
      get imageSize() { return { width: eng.current.w, height: eng.current.h }; },
      get element() { return rootRef.current; },
    }),
    [exportMask, log.undo, log.redo, log.clear, log.invert, log.hasPaint, fit, zoomBy, setTool, setSize],
  );

  /* ---------------------------------------------------------------- input */

  const pointer = usePointerStrokes({
    eng, live, viewportRef, log, applyView: view.applyView, updateRing, setDragging,
  });
  const keys = useShortcuts({
    eng, viewportRef, updateRing, setSpaceHeld,
    actions: { undo: log.undo, redo: log.redo, setTool, stepSize, zoomBy, zoomTo: view.zoomTo, fit,
      invert: log.invert, panBy: view.panBy },
  });

  useEffect(() => () => Object.values(eng.current.timers).forEach((t) => { clearTimeout(t); cancelAnimationFrame(t); }), []);

  /* ---------------------------------------------------------------- render */

  const helpId = `${useId()}-help`;
  const panning = tool === "hand" || spaceHeld;

  return (
    <div
      ref={rootRef}
      id={id}
      className={`pme-root ${className}`.trim()}
      style={style}
      data-ready={ready ? "true" : "false"}
      data-tool={tool}
      data-brush-size={size}
      data-image-width={dims.w}
      data-image-height={dims.h}
      data-can-undo={hist.undo > 0 ? "true" : "false"}
      data-can-redo={hist.redo > 0 ? "true" : "false"}
      onKeyDown={keys.onKeyDown}
      onKeyUp={keys.onKeyUp}
      {...rest}
    >
      <style href="palett-mask-editor" precedence="default">{CSS}</style>
      <Toolbar
        label={label}
        ready={ready}
        exportLabel={exportLabel}
        tools={{ tool, setTool, size, setSize, minSize: minBrushSize, maxSize }}
        history={{ undo: log.undo, redo: log.redo, canUndo: hist.undo > 0, canRedo: hist.redo > 0 }}
        view={{ zoom, zoomBy, fit }}
        mask={{ invert: log.invert, clear: log.clear, exportMask }}
      />
      <div
        ref={viewportRef}
        className="pme-viewport"
        tabIndex={0}
        role="application"
        aria-roledescription="mask canvas"
        aria-label={alt ? `${label}: ${alt}` : label}
        aria-describedby={helpId}
        data-tool={tool}
        data-panning={panning ? "true" : "false"}
        data-dragging={dragging ? "true" : "false"}
        {...pointer}
        onContextMenu={(ev) => ev.preventDefault()}
        onMouseDown={(ev) => ev.button === 1 && ev.preventDefault() /* no middle-click autoscroll */}
      >
        <div ref={checkerRef} className="pme-checker" style={{ display: ready ? "block" : "none" }} />
        <div ref={stageRef} className="pme-stage" style={{ visibility: ready ? "visible" : "hidden" }}>
          <img
            ref={imgRef}
            src={src}
            alt=""
            draggable={false}
            onLoad={init}
            onError={() => { setFailed(true); setReady(false); }}
          />
          <canvas ref={maskRef} width={1} height={1} style={{ opacity: overlayOpacity }} />
        </div>
        <div ref={ringRef} className="pme-ring" />
        {!ready ? (
          <div className="pme-overlay">
            {failed ? (
              <Text size="2" color="red">The image could not be loaded.</Text>
            ) : (
              <>
                <Spinner size="2" />
                <Text size="2" color="gray">Loading image…</Text>
              </>
            )}
          </div>
        ) : null}
      </div>
      {showHints ? <HintsFooter ready={ready} width={dims.w} height={dims.h} /> : null}
      <p id={helpId} className="pme-sr">
        Paint the area to change. Keys: B brush, E eraser, H hand, left and right square brackets change the brush
        size, Control+Z undo, Control+Shift+Z redo, I invert, plus and minus zoom, 0 fits the image, arrow keys and
        Space with drag pan. Two fingers pinch to zoom.
      </p>
      <span className="pme-sr" role="status" aria-live="polite">{announce}</span>
    </div>
  );
}
