/**
 * The mask editor's undo/redo operation log.
 *
 * History is a list of operations (stroke, clear, invert) replayed onto a "base" canvas; operations older
 * than MAX_OPS are baked into the base so undo stays fast and memory stays bounded. The log lives in the
 * editor's shared engine object (`eng.current`: base, ops, redo), so pointer handlers can read it without
 * a re-render.
 */
import { useCallback } from "react";
import { applyOp, makeCanvas, maskHasPaint, maskToPng } from "./paint.js";

export const MAX_OPS = 100;

/**
 * `live.current` holds the latest props (overlayColor, onExport, onMaskChange, autoExport); `setHist`
 * receives the undo/redo counts and `setAnnounce` the message for screen readers after each change.
 */
export function useOperationLog({ eng, live, maskRef, setHist, setAnnounce }) {
  const maskCtx = useCallback(() => maskRef.current?.getContext("2d"), [maskRef]);

  /** An empty log for a new w x h image. */
  const start = useCallback((w, h) => {
    const e = eng.current;
    e.base = makeCanvas(w, h);
    e.ops = [];
    e.redo = [];
    e.lastPainted = null;
    setHist({ undo: 0, redo: 0 });
  }, [eng, setHist]);

  const hasPaint = useCallback(() => {
    const e = eng.current;
    return !!e.w && !!maskRef.current && maskHasPaint(maskRef.current, e.w, e.h);
  }, [eng, maskRef]);

  /** Black/white PNG at the image's natural size (white = paint here). Fires onExport; returns the data URL. */
  const exportMask = useCallback(() => {
    const e = eng.current;
    if (!e.w || !maskRef.current) return null;
    const url = maskToPng(maskRef.current, e.w, e.h);
    live.current.onExport?.(url);
    return url;
  }, [eng, live, maskRef]);

  /** Redraw the mask from the base and the live operations (after undo, or a cancelled stroke). */
  const rebuild = useCallback(() => {
    const e = eng.current;
    const ctx = maskCtx();
    if (!ctx || !e.base) return;
    ctx.save();
    ctx.globalCompositeOperation = "copy";
    ctx.drawImage(e.base, 0, 0);
    ctx.restore();
    for (const op of e.ops) applyOp(ctx, op, live.current.overlayColor);
  }, [eng, live, maskCtx]);

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
  }, [eng, live, setHist, setAnnounce, hasPaint, exportMask]);

  /** Add an operation (drawn here unless the stroke was already drawn live) and drop the redo list. */
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
    [eng, live, maskCtx, changed],
  );

  const undo = useCallback(() => {
    const e = eng.current;
    if (!e.ops.length || e.mode === "stroke") return;
    e.redo.push(e.ops.pop());
    rebuild();
    changed("Undone");
  }, [eng, rebuild, changed]);

  const redo = useCallback(() => {
    const e = eng.current;
    if (!e.redo.length || e.mode === "stroke") return;
    const op = e.redo.pop();
    e.ops.push(op);
    applyOp(maskCtx(), op, live.current.overlayColor);
    changed("Redone");
  }, [eng, live, maskCtx, changed]);

  const clear = useCallback(() => eng.current.w && commit({ type: "clear" }, { message: "Mask cleared" }), [eng, commit]);
  const invert = useCallback(() => eng.current.w && commit({ type: "invert" }, { message: "Mask inverted" }), [eng, commit]);

  return { maskCtx, start, hasPaint, exportMask, rebuild, commit, undo, redo, clear, invert };
}
