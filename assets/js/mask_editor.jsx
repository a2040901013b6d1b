/**
 * Palett mask editor: paint the area to regenerate (inpainting) over an image.
 *
 * Wrapped for Python by palett/components/mask_editor.py (read that module's docstring for the API).
 *
 * How it works
 * - The mask lives in an offscreen-sized <canvas> at the IMAGE's natural pixel size. Strokes are drawn
 *   straight into it in image coordinates (screen point -> (point - offset) / zoom), so zooming never
 *   changes the mask's resolution. The mask stores the overlay colour, fully opaque where painted.
 * - The view (image + mask canvas) is one DOM layer moved with a CSS transform (translate + scale);
 *   the browser composites it, so zoom and pan cost no repaint of the mask.
 * - History is a list of operations (stroke, clear, invert) replayed onto a "base" canvas; operations
 *   older than MAX_OPS are baked into the base so undo stays fast and memory stays bounded.
 * - Export: alpha >= 50% -> white, else black, written into a new canvas of the image's natural size,
 *   encoded as PNG and handed to `onExport(dataUrl)`. The image itself is never drawn into a canvas,
 *   so cross-origin images cannot taint the export.
 * - Pointer events cover mouse, pen and touch (touch-action: none). Two fingers pinch-zoom and pan;
 *   the middle mouse button, the hand tool and Space+drag pan; the wheel zooms around the pointer.
 * Rendered during the prerender too: nothing here touches `window`/`document` outside effects and handlers.
 */
import { useCallback, useEffect, useId, useImperativeHandle, useRef, useState } from "react";
import { Button, IconButton, Separator, Slider, Spinner, Text, Tooltip } from "@radix-ui/themes";
import { Brush, Check, Contrast, Eraser, Hand, Maximize, Redo2, Trash2, Undo2, ZoomIn, ZoomOut } from "lucide-react";

const MAX_OPS = 100;
const MIN_ZOOM = 0.02;
const MAX_ZOOM = 32;
const ZOOM_STEP = 1.25;

const CSS = `
:where(.pme-root) { width: 100%; height: 560px; min-height: 280px; }
.pme-root { display: flex; flex-direction: column;
  border: 1px solid var(--gray-a5); border-radius: var(--radius-4, 12px); overflow: hidden; background: var(--gray-2);
  box-sizing: border-box; }
.pme-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 8px 10px;
  border-bottom: 1px solid var(--gray-a5); background: var(--color-panel-solid, var(--gray-1)); }
.pme-group { display: flex; align-items: center; gap: 2px; }
.pme-size { display: flex; align-items: center; gap: 10px; padding: 0 6px; }
.pme-size .pme-size-slider { flex: 0 0 120px; width: 120px; }
.pme-size-value { min-width: 48px; font-variant-numeric: tabular-nums; }
.pme-zoom-value { min-width: 44px; text-align: center; font-variant-numeric: tabular-nums; }
.pme-spacer { flex: 1 1 auto; }
.pme-viewport { position: relative; flex: 1 1 auto; min-height: 0; overflow: hidden; touch-action: none;
  user-select: none; -webkit-user-select: none; background-color: var(--gray-3);
  background-image: radial-gradient(var(--gray-a4) 1px, transparent 1px); background-size: 18px 18px; outline: none; }
.pme-viewport:focus-visible { box-shadow: inset 0 0 0 2px var(--accent-8); }
.pme-viewport[data-tool="hand"], .pme-viewport[data-panning="true"] { cursor: grab; }
.pme-viewport[data-dragging="true"] { cursor: grabbing; }
.pme-viewport[data-tool="brush"][data-panning="false"], .pme-viewport[data-tool="eraser"][data-panning="false"] { cursor: crosshair; }
.pme-viewport[data-ring="true"][data-panning="false"][data-tool="brush"],
.pme-viewport[data-ring="true"][data-panning="false"][data-tool="eraser"] { cursor: none; }
.pme-checker { position: absolute; left: 0; top: 0; transform-origin: 0 0; pointer-events: none;
  background-color: #fff; box-shadow: 0 8px 30px -10px rgba(0, 0, 0, .35), 0 0 0 1px var(--gray-a6);
  background-image: conic-gradient(#d9dce3 25%, transparent 0 50%, #d9dce3 0 75%, transparent 0);
  background-size: 16px 16px; }
.dark .pme-checker { background-color: #3b3f47;
  background-image: conic-gradient(#2c2f36 25%, transparent 0 50%, #2c2f36 0 75%, transparent 0); }
.pme-stage { position: absolute; left: 0; top: 0; transform-origin: 0 0; pointer-events: none; }
.pme-stage img, .pme-stage canvas { position: absolute; left: 0; top: 0; display: block; max-width: none;
  max-height: none; margin: 0; padding: 0; border: 0; -webkit-user-drag: none; }
.pme-stage[data-pixelated="true"] img, .pme-stage[data-pixelated="true"] canvas { image-rendering: pixelated; }
.pme-ring { position: absolute; left: 0; top: 0; border-radius: 50%; pointer-events: none; display: none;
  border: 1.5px solid rgba(255, 255, 255, .95); box-shadow: 0 0 0 1px rgba(0, 0, 0, .55), inset 0 0 0 1px rgba(0, 0, 0, .35); }
.pme-ring[data-eraser="true"] { border-style: dashed; }
.pme-overlay { position: absolute; inset: 0; display: flex; align-items: center; justify-content: center; gap: 8px;
  pointer-events: none; }
.pme-foot { display: flex; align-items: center; gap: 12px; padding: 6px 12px; border-top: 1px solid var(--gray-a5);
  background: var(--color-panel-solid, var(--gray-1)); min-height: 32px; box-sizing: border-box; }
.pme-sr { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0; }
.pme-kbd { font: 500 11px/16px var(--code-font-family, ui-monospace, monospace); padding: 0 5px; border-radius: 4px;
  border: 1px solid var(--gray-a6); background: var(--gray-a2); color: var(--gray-11); }
@media (max-width: 640px) { .pme-size .pme-size-slider { flex-basis: 84px; width: 84px; } .pme-hide-sm { display: none !important; } }
`;

const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
const isTyping = (el) =>
  !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

function makeCanvas(w, h) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  return c;
}

/** Draw one dab or segment of a stroke. */
function drawSegment(ctx, op, color, a, b) {
  ctx.save();
  ctx.globalCompositeOperation = op.mode === "erase" ? "destination-out" : "source-over";
  ctx.fillStyle = color;
  ctx.strokeStyle = color;
  ctx.lineWidth = op.size;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  if (!b || (a.x === b.x && a.y === b.y)) {
    ctx.arc(a.x, a.y, op.size / 2, 0, Math.PI * 2);
    ctx.fill();
  } else {
    ctx.moveTo(a.x, a.y);
    ctx.lineTo(b.x, b.y);
    ctx.stroke();
  }
  ctx.restore();
}

/** Apply a whole history operation to a mask context. */
function applyOp(ctx, op, color) {
  const { width: w, height: h } = ctx.canvas;
  if (op.type === "stroke") {
    const pts = op.points;
    if (pts.length === 1) {
      drawSegment(ctx, op, color, pts[0]);
      return;
    }
    ctx.save();
    ctx.globalCompositeOperation = op.mode === "erase" ? "destination-out" : "source-over";
    ctx.strokeStyle = color;
    ctx.lineWidth = op.size;
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.beginPath();
    ctx.moveTo(pts[0].x, pts[0].y);
    for (let i = 1; i < pts.length; i++) ctx.lineTo(pts[i].x, pts[i].y);
    ctx.stroke();
    ctx.restore();
  } else if (op.type === "clear") {
    ctx.clearRect(0, 0, w, h);
  } else if (op.type === "invert") {
    const copy = makeCanvas(w, h);
    copy.getContext("2d").drawImage(ctx.canvas, 0, 0);
    ctx.save();
    ctx.globalCompositeOperation = "copy";
    ctx.fillStyle = color;
    ctx.fillRect(0, 0, w, h);
    ctx.globalCompositeOperation = "destination-out";
    ctx.drawImage(copy, 0, 0);
    ctx.restore();
  }
}

/** Re-colour the painted pixels of a canvas (used when `overlayColor` changes). */
function recolor(canvas, color) {
  const ctx = canvas.getContext("2d");
  ctx.save();
  ctx.globalCompositeOperation = "source-in";
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.restore();
}

function Tip({ label, keys, children }) {
  return (
    <Tooltip
      content={
        <span style={{ display: "inline-flex", gap: 6, alignItems: "center" }}>
          {label}
          {keys ? <span style={{ opacity: 0.7 }}>{keys}</span> : null}
        </span>
      }
    >
      {children}
    </Tooltip>
  );
}

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

  /* ---------------------------------------------------------------- view */

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
    e.timers.zoomFrame = requestAnimationFrame(() => setZoomState(z));
    updateRing();
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

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
  }, [applyView]);

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
    [applyView],
  );

  const zoomBy = useCallback((factor, px, py) => zoomTo(eng.current.view.zoom * factor, px, py), [zoomTo]);

  const panBy = useCallback(
    (dx, dy) => {
      const e = eng.current;
      e.view = { ...e.view, x: e.view.x + dx, y: e.view.y + dy };
      e.fitted = false;
      applyView();
    },
    [applyView],
  );

  /* ---------------------------------------------------------------- brush ring */

  function updateRing() {
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
  }

  /* ---------------------------------------------------------------- history */

  const maskCtx = () => maskRef.current?.getContext("2d");

  const rebuild = useCallback(() => {
    const e = eng.current;
    const ctx = maskCtx();
    if (!ctx || !e.base) return;
    ctx.save();
    ctx.globalCompositeOperation = "copy";
    ctx.drawImage(e.base, 0, 0);
    ctx.restore();
    for (const op of e.ops) applyOp(ctx, op, live.current.overlayColor);
  }, []);

  /** Called after every change of the mask: counts, announcements, auto export, onMaskChange. */
  const changed = useCallback((message) => {
    const e = eng.current;
    setHist({ undo: e.ops.length, redo: e.redo.length });
    if (message) setAnnounce(message);
    clearTimeout(e.timers.after);
    e.timers.after = setTimeout(() => {
      if (live.current.onMaskChange) {
        const painted = hasPaint();
        if (painted !== e.lastPainted) {
          e.lastPainted = painted;
          live.current.onMaskChange(painted);
        }
      }
      if (live.current.autoExport) exportMask();
    }, 250);
  }, []); // eslint-disable-line react-hooks/exhaustive-deps

  const commit = useCallback(
    (op, { applied = false, message } = {}) => {
      const e = eng.current;
      const ctx = maskCtx();
      if (!ctx) return;
      if (!applied) applyOp(ctx, op, live.current.overlayColor);
      e.ops.push(op);
      e.redo = [];
      while (e.ops.length > MAX_OPS) applyOp(e.base.getContext("2d"), e.ops.shift(), live.current.overlayColor);
      changed(message);
    },
    [changed],
  );

  const undo = useCallback(() => {
    const e = eng.current;
    if (!e.ops.length || e.mode === "stroke") return;
    e.redo.push(e.ops.pop());
    rebuild();
    changed("Undone");
  }, [rebuild, changed]);

  const redo = useCallback(() => {
    const e = eng.current;
    if (!e.redo.length || e.mode === "stroke") return;
    const op = e.redo.pop();
    e.ops.push(op);
    applyOp(maskCtx(), op, live.current.overlayColor);
    changed("Redone");
  }, [changed]);

  const clear = useCallback(() => eng.current.w && commit({ type: "clear" }, { message: "Mask cleared" }), [commit]);
  const invert = useCallback(() => eng.current.w && commit({ type: "invert" }, { message: "Mask inverted" }), [commit]);

  /** Whether anything is painted (checked on a small copy so large images stay cheap). */
  function hasPaint() {
    const e = eng.current;
    if (!e.w || !maskRef.current) return false;
    const k = Math.min(1, 256 / Math.max(e.w, e.h));
    const w = Math.max(1, Math.round(e.w * k)), h = Math.max(1, Math.round(e.h * k));
    const small = makeCanvas(w, h);
    const sctx = small.getContext("2d", { willReadFrequently: true });
    sctx.drawImage(maskRef.current, 0, 0, w, h);
    const d = sctx.getImageData(0, 0, w, h).data;
    for (let i = 3; i < d.length; i += 4) if (d[i] > 8) return true;
    return false;
  }

  /** Black/white PNG at the image's natural size (white = paint here). Fires onExport; returns the data URL. */
  function exportMask() {
    const e = eng.current;
    if (!e.w || !maskRef.current) return null;
    const src = maskCtx().getImageData(0, 0, e.w, e.h).data;
    const out = makeCanvas(e.w, e.h);
    const octx = out.getContext("2d");
    const img = octx.createImageData(e.w, e.h);
    const px = new Uint32Array(img.data.buffer);
    for (let i = 0, j = 3; i < px.length; i++, j += 4) px[i] = src[j] >= 128 ? 0xffffffff : 0xff000000;
    octx.putImageData(img, 0, 0);
    const url = out.toDataURL("image/png");
    live.current.onExport?.(url);
    return url;
  }

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

  useEffect(() => updateRing(), [size, tool, zoom]); // eslint-disable-line react-hooks/exhaustive-deps

  /* ---------------------------------------------------------------- image loading */

  const init = useCallback(() => {
    const img = imgRef.current;
    if (!img || !img.naturalWidth) return;
    const e = eng.current;
    const w = img.naturalWidth, h = img.naturalHeight;
    if (e.w === w && e.h === h && e.src === img.currentSrc) return;
    e.w = w;
    e.h = h;
    e.src = img.currentSrc;
    e.base = makeCanvas(w, h);
    e.ops = [];
    e.redo = [];
    e.lastPainted = null;
    const mask = maskRef.current;
    mask.width = w;
    mask.height = h;
    Object.assign(mask.style, { width: `${w}px`, height: `${h}px` });
    Object.assign(img.style, { width: `${w}px`, height: `${h}px` });
    Object.assign(stageRef.current.style, { width: `${w}px`, height: `${h}px` });
    setDims({ w, h });
    if (!live.current.brushSize) setSizeState(Math.max(4, Math.round(Math.max(w, h) / 16)));
    setHist({ undo: 0, redo: 0 });
    setFailed(false);
    setReady(true);
    fit();
    live.current.onReady?.({ width: w, height: h });
  }, [fit]);

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
  useEffect(() => {
    if (exportTrigger === firstTrigger.current || exportTrigger === undefined || exportTrigger === null) return;
    firstTrigger.current = exportTrigger;
    exportMask();
  }, [exportTrigger]); // eslint-disable-line react-hooks/exhaustive-deps

  // Refit on resize while the user has not zoomed/panned by hand.
  useEffect(() => {
    const vp = viewportRef.current;
    if (!vp || typeof ResizeObserver === "undefined") return;
    const ro = new ResizeObserver(() => {
      if (eng.current.fitted) fit();
    });
    ro.observe(vp);
    return () => ro.disconnect();
  }, [fit]);

  useImperativeHandle(
    ref,
    () => ({
      exportMask, undo, redo, clear, invert, fit,
      zoomIn: () => zoomBy(ZOOM_STEP), zoomOut: () => zoomBy(1 / ZOOM_STEP),
      setTool, setBrushSize: setSize, hasMask: hasPaint,
      get imageSize() { return { width: eng.current.w, height: eng.current.h }; },
      get element() { return rootRef.current; },
    }),
    [undo, redo, clear, invert, fit, zoomBy, setTool, setSize], // eslint-disable-line react-hooks/exhaustive-deps
  );

  /* ---------------------------------------------------------------- pointer input */

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
  }, [zoomBy, panBy]);

  /* ---------------------------------------------------------------- keyboard */

  const onKeyDown = (ev) => {
    if (isTyping(ev.target)) return;
    const k = ev.key;
    const mod = ev.ctrlKey || ev.metaKey;
    const onCanvas = ev.target === viewportRef.current;
    if (mod && !ev.altKey) {
      const lower = k.toLowerCase();
      if (lower === "z") {
        ev.preventDefault();
        ev.shiftKey ? redo() : undo();
      } else if (lower === "y") {
        ev.preventDefault();
        redo();
      }
      return;
    }
    if (ev.altKey) return;
    const acts = {
      b: () => setTool("brush"), e: () => setTool("eraser"), h: () => setTool("hand"),
      "[": () => stepSize(-1), "]": () => stepSize(1),
      "+": () => zoomBy(ZOOM_STEP), "=": () => zoomBy(ZOOM_STEP), "-": () => zoomBy(1 / ZOOM_STEP),
      "0": () => fit(), "1": () => zoomTo(1), i: () => invert(),
    };
    const act = acts[k.length === 1 ? k.toLowerCase() : k];
    if (act && !(ev.target.getAttribute?.("role") === "slider" && (k === "+" || k === "-"))) {
      ev.preventDefault();
      act();
      return;
    }
    if (!onCanvas) return;
    if (k === " ") {
      ev.preventDefault();
      if (!eng.current.space) {
        eng.current.space = true;
        setSpaceHeld(true);
        updateRing();
      }
      return;
    }
    const step = ev.shiftKey ? 160 : 40;
    const arrows = { ArrowLeft: [step, 0], ArrowRight: [-step, 0], ArrowUp: [0, step], ArrowDown: [0, -step] };
    if (arrows[k]) {
      ev.preventDefault();
      panBy(...arrows[k]);
    }
  };

  const onKeyUp = (ev) => {
    if (ev.key === " " && eng.current.space) {
      eng.current.space = false;
      setSpaceHeld(false);
      updateRing();
    }
  };

  useEffect(() => {
    const reset = () => {
      eng.current.space = false;
      setSpaceHeld(false);
    };
    window.addEventListener("blur", reset);
    return () => window.removeEventListener("blur", reset);
  }, []);

  // Radix Themes' Slider does not pass aria-label to its thumb (the element with role="slider").
  const sizeSliderRef = useRef(null);
  useEffect(() => {
    sizeSliderRef.current?.querySelector('[role="slider"]')?.setAttribute("aria-label", "Brush size");
  });

  useEffect(() => () => Object.values(eng.current.timers).forEach((t) => { clearTimeout(t); cancelAnimationFrame(t); }), []);

  /* ---------------------------------------------------------------- render */

  const toolButton = (t, Icon, name, key) => (
    <Tip label={name} keys={key}>
      <IconButton
        type="button"
        size="2"
        variant={tool === t ? "solid" : "ghost"}
        color={tool === t ? undefined : "gray"}
        aria-label={name}
        aria-pressed={tool === t}
        aria-keyshortcuts={key}
        data-tool={t}
        onClick={() => setTool(t)}
        disabled={!ready}
        style={{ margin: 0 }}
      >
        <Icon size={18} />
      </IconButton>
    </Tip>
  );

  const action = (Icon, name, key, onClick, disabled, aria = key) => (
    <Tip label={name} keys={key}>
      <IconButton type="button" size="2" variant="ghost" color="gray" aria-label={name} aria-keyshortcuts={aria || undefined}
        onClick={onClick} disabled={disabled} style={{ margin: 0 }}>
        <Icon size={18} />
      </IconButton>
    </Tip>
  );

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
      onKeyDown={onKeyDown}
      onKeyUp={onKeyUp}
      {...rest}
    >
      <style href="palett-mask-editor" precedence="default">{CSS}</style>
      <div className="pme-toolbar" role="toolbar" aria-label={`${label} tools`}>
        <div className="pme-group" role="group" aria-label="Tool">
          {toolButton("brush", Brush, "Brush", "B")}
          {toolButton("eraser", Eraser, "Eraser", "E")}
          {toolButton("hand", Hand, "Hand (pan)", "H")}
        </div>
        <div className="pme-size">
          <Text as="span" size="2" color="gray" className="pme-hide-sm" aria-hidden="true">Size</Text>
          <Tip label="Brush size" keys="[ ]">
            <Slider
              ref={sizeSliderRef}
              className="pme-size-slider"
              size="1"
              min={minBrushSize}
              max={maxSize}
              step={1}
              value={[clamp(size, minBrushSize, maxSize)]}
              onValueChange={(v) => setSize(v[0])}
              disabled={!ready}
            />
          </Tip>
          <Text as="span" size="2" className="pme-size-value" aria-hidden="true">{size} px</Text>
        </div>
        <Separator orientation="vertical" size="1" className="pme-hide-sm" />
        <div className="pme-group" role="group" aria-label="History">
          {action(Undo2, "Undo", "Ctrl+Z", undo, !ready || hist.undo === 0, "Control+Z Meta+Z")}
          {action(Redo2, "Redo", "Ctrl+Shift+Z", redo, !ready || hist.redo === 0, "Control+Shift+Z Control+Y Meta+Shift+Z")}
        </div>
        <Separator orientation="vertical" size="1" className="pme-hide-sm" />
        <div className="pme-group" role="group" aria-label="Mask">
          {action(Contrast, "Invert mask", "I", invert, !ready)}
          {action(Trash2, "Clear mask", null, clear, !ready)}
        </div>
        <Separator orientation="vertical" size="1" className="pme-hide-sm" />
        <div className="pme-group" role="group" aria-label="Zoom">
          {action(ZoomOut, "Zoom out", "-", () => zoomBy(1 / ZOOM_STEP), !ready || zoom <= MIN_ZOOM)}
          <Text as="span" size="1" color="gray" className="pme-zoom-value" aria-live="off" data-testid="zoom-value">
            {Math.round(zoom * 100)}%
          </Text>
          {action(ZoomIn, "Zoom in", "+", () => zoomBy(ZOOM_STEP), !ready || zoom >= MAX_ZOOM)}
          {action(Maximize, "Fit to view", "0", fit, !ready)}
        </div>
        <div className="pme-spacer" />
        {exportLabel ? (
          <Button type="button" size="2" onClick={() => exportMask()} disabled={!ready}>
            <Check size={16} />
            {exportLabel}
          </Button>
        ) : null}
      </div>
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
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerEnd}
        onPointerCancel={onPointerEnd}
        onPointerLeave={onPointerLeave}
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
      {showHints ? (
        <div className="pme-foot">
          <Text size="1" color="gray" className="pme-dims">{ready ? `${dims.w} × ${dims.h} px` : ""}</Text>
          <Text size="1" color="gray" className="pme-hide-sm">
            <span className="pme-kbd">Scroll</span> zoom · <span className="pme-kbd">Space</span>+drag pan ·{" "}
            <span className="pme-kbd">[</span> <span className="pme-kbd">]</span> size
          </Text>
        </div>
      ) : null}
      <p id={helpId} className="pme-sr">
        Paint the area to change. Keys: B brush, E eraser, H hand, left and right square brackets change the brush
        size, Control+Z undo, Control+Shift+Z redo, I invert, plus and minus zoom, 0 fits the image, arrow keys and
        Space with drag pan. Two fingers pinch to zoom.
      </p>
      <span className="pme-sr" role="status" aria-live="polite">{announce}</span>
    </div>
  );
}
