/**
 * The mask editor's toolbar (tools, brush size, history, mask, zoom, optional export button) and its
 * footer of hints. Every control has an aria-label and a tooltip naming its shortcut.
 */
import { useEffect, useRef } from "react";
import { Button, IconButton, Separator, Slider, Text, Tooltip } from "@radix-ui/themes";
import { Brush, Check, Contrast, Eraser, Hand, Maximize, Redo2, Trash2, Undo2, ZoomIn, ZoomOut } from "lucide-react";
import { clamp } from "./paint.js";
import { MAX_ZOOM, MIN_ZOOM, ZOOM_STEP } from "./viewport.js";

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

/**
 * `tools` = { tool, setTool, size, setSize, minSize, maxSize }, `history` = { undo, redo, canUndo, canRedo },
 * `view` = { zoom, zoomBy, fit }, `mask` = { invert, clear, exportMask }.
 */
export function Toolbar({ label, ready, exportLabel, tools, history, view, mask }) {
  const { tool, setTool, size, setSize, minSize, maxSize } = tools;

  // Radix Themes' Slider does not pass aria-label to its thumb (the element with role="slider").
  const sizeSliderRef = useRef(null);
  useEffect(() => {
    sizeSliderRef.current?.querySelector('[role="slider"]')?.setAttribute("aria-label", "Brush size");
  });

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

  return (
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
            min={minSize}
            max={maxSize}
            step={1}
            value={[clamp(size, minSize, maxSize)]}
            onValueChange={(v) => setSize(v[0])}
            disabled={!ready}
          />
        </Tip>
        <Text as="span" size="2" className="pme-size-value" aria-hidden="true">{size} px</Text>
      </div>
      <Separator orientation="vertical" size="1" className="pme-hide-sm" />
      <div className="pme-group" role="group" aria-label="History">
        {action(Undo2, "Undo", "Ctrl+Z", history.undo, !ready || !history.canUndo, "Control+Z Meta+Z")}
        {action(Redo2, "Redo", "Ctrl+Shift+Z", history.redo, !ready || !history.canRedo, "Control+Shift+Z Control+Y Meta+Shift+Z")}
      </div>
      <Separator orientation="vertical" size="1" className="pme-hide-sm" />
      <div className="pme-group" role="group" aria-label="Mask">
        {action(Contrast, "Invert mask", "I", mask.invert, !ready)}
        {action(Trash2, "Clear mask", null, mask.clear, !ready)}
      </div>
      <Separator orientation="vertical" size="1" className="pme-hide-sm" />
      <div className="pme-group" role="group" aria-label="Zoom">
        {action(ZoomOut, "Zoom out", "-", () => view.zoomBy(1 / ZOOM_STEP), !ready || view.zoom <= MIN_ZOOM)}
        <Text as="span" size="1" color="gray" className="pme-zoom-value" aria-live="off" data-testid="zoom-value">
          {Math.round(view.zoom * 100)}%
        </Text>
        {action(ZoomIn, "Zoom in", "+", () => view.zoomBy(ZOOM_STEP), !ready || view.zoom >= MAX_ZOOM)}
        {action(Maximize, "Fit to view", "0", view.fit, !ready)}
      </div>
      <div className="pme-spacer" />
      {exportLabel ? (
        <Button type="button" size="2" onClick={() => mask.exportMask()} disabled={!ready}>
          <Check size={16} />
          {exportLabel}
        </Button>
      ) : null}
    </div>
  );
}

/** The image size and the main mouse and key hints under the canvas. */
export function HintsFooter({ ready, width, height }) {
  return (
    <div className="pme-foot">
      <Text size="1" color="gray" className="pme-dims">{ready ? `${width} × ${height} px` : ""}</Text>
      <Text size="1" color="gray" className="pme-hide-sm">
        <span className="pme-kbd">Scroll</span> zoom · <span className="pme-kbd">Space</span>+drag pan ·{" "}
        <span className="pme-kbd">[</span> <span className="pme-kbd">]</span> size
      </Text>
    </div>
  );
}
