/**
 * Keyboard shortcuts of the mask editor (while it has focus): B brush, E eraser, H hand, [ ] brush size,
 * Ctrl/Cmd+Z undo, Ctrl/Cmd+Shift+Z or Ctrl+Y redo, I invert, + - zoom, 0 fit, 1 actual size; on the canvas
 * only, arrow keys pan and Space held turns a drag into a pan. Keys typed into a field are left alone.
 */
import { useEffect } from "react";
import { ZOOM_STEP } from "./viewport.js";

const isTyping = (el) =>
  !!el && (el.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(el.tagName));

/**
 * `actions` holds what the keys do (undo, redo, setTool, stepSize, zoomBy, zoomTo, fit, invert, panBy);
 * Space sets `eng.current.space` and calls `setSpaceHeld` (the cursor shows a hand).
 */
export function useShortcuts({ eng, viewportRef, actions, updateRing, setSpaceHeld }) {
  const { undo, redo, setTool, stepSize, zoomBy, zoomTo, fit, invert, panBy } = actions;

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

  // Space released outside the window never reaches onKeyUp.
  useEffect(() => {
    const reset = () => {
      eng.current.space = false;
      setSpaceHeld(false);
    };
    window.addEventListener("blur", reset);
    return () => window.removeEventListener("blur", reset);
  }, [eng, setSpaceHeld]);

  return { onKeyDown, onKeyUp };
}
