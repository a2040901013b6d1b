/**
 * Palett before/after slider, built from react-compare-slider 4's composable parts.
 *
 * Wrapped for Python by palett/components/compare_slider.py. On top of the library it adds:
 * - a checkerboard behind both images (transparent cut-outs stay visible) and "Before"/"After" badges;
 * - a named slider handle (aria-label, aria-valuetext) with a visible focus ring;
 * - Home/End and PageUp/PageDown keys next to the library's own arrow keys;
 * - with `aspect` ("W / H", the result's shape) the frame takes that shape, at most `maxHeight` tall, and both
 *   images are drawn whole (never cropped); `beforeBox` ({left, top, width, height} in % of the frame) places the
 *   before image where it sits inside the result (outpaint), so the two line up at the same scale.
 * Rendered during the prerender too: nothing here touches `window` outside effects and handlers.
 */
import { useCallback, useRef } from "react";
import * as Slider from "react-compare-slider/components";
import { useReactCompareSlider } from "react-compare-slider/hooks";

const CSS = `
:where(.pcs-frame) { width: 100%; }
.pcs-frame { position: relative; box-sizing: border-box; border-radius: var(--radius-4, 12px); overflow: hidden;
  border: 1px solid var(--gray-a5); background-color: var(--gray-2);
  background-image: conic-gradient(var(--gray-5) 25%, transparent 0 50%, var(--gray-5) 0 75%, transparent 0);
  background-size: 20px 20px; }
.pcs-frame > .pcs-root { width: 100%; }
.pcs-frame.pcs-fixed { margin-inline: auto; }
.pcs-frame.pcs-fixed > .pcs-root { height: 100%; grid-template: 100% / 100%; }
.pcs-layer { position: relative; width: 100%; height: 100%; }
.pcs-layer > .pcs-img { position: absolute; }
.pcs-img { display: block; width: 100%; height: 100%; pointer-events: none; -webkit-user-drag: none; }
.pcs-badge { position: absolute; top: 10px; z-index: 2; padding: 2px 10px; border-radius: 999px;
  font: 500 12px/20px var(--default-font-family, system-ui); letter-spacing: .02em; color: white;
  background: rgba(15, 17, 26, .62); backdrop-filter: blur(6px); -webkit-backdrop-filter: blur(6px);
  pointer-events: none; white-space: nowrap; }
.pcs-badge.before { left: 10px; }
.pcs-badge.after { right: 10px; }
.pcs-frame.pcs-portrait .pcs-badge.after { top: auto; bottom: 10px; left: 10px; right: auto; }
.pcs-frame [data-rcs="handle-root"] { cursor: ew-resize; }
.pcs-frame.pcs-portrait [data-rcs="handle-root"] { cursor: ns-resize; }
.pcs-frame .__rcs-handle-button { background: var(--accent-9) !important; border-color: white !important;
  box-shadow: 0 4px 14px rgba(0, 0, 0, .35) !important; transition: transform .12s ease, box-shadow .12s ease; }
.pcs-frame [data-rcs="handle-root"]:hover .__rcs-handle-button { transform: scale(1.06); }
.pcs-frame [data-rcs="handle-root"]:focus-visible .__rcs-handle-button {
  box-shadow: 0 0 0 3px var(--gray-1), 0 0 0 6px var(--accent-8), 0 4px 14px rgba(0, 0, 0, .35) !important; }
@media (prefers-reduced-motion: reduce) { .pcs-frame .__rcs-handle-button { transition: none; } }
`;

const clamp = (v) => Math.min(100, Math.max(0, v));

export function CompareSlider({
  beforeSrc,
  afterSrc,
  beforeAlt = "Before",
  afterAlt = "After",
  beforeLabel = "Before",
  afterLabel = "After",
  handleLabel,
  defaultPosition = 50,
  portrait = false,
  keyboardIncrement = "5%",
  fit = "contain",
  aspect,
  beforeBox,
  maxHeight,
  className = "",
  style,
  id,
  ...rest
}) {
  // Kept stable: react-compare-slider resets the position whenever this callback changes identity.
  const handleRootRef = useRef(null); // holds the library's ref object once the hook has run
  const labels = useRef({ beforeLabel, afterLabel });
  labels.current = { beforeLabel, afterLabel };
  const onPositionChange = useCallback((p) => {
    const node = handleRootRef.current?.current;
    if (!node) return;
    const b = Math.round(p);
    node.setAttribute("aria-valuetext", `${b}% ${labels.current.beforeLabel}, ${100 - b}% ${labels.current.afterLabel}`);
  }, []);
  const slider = useReactCompareSlider({ defaultPosition, portrait, keyboardIncrement, onPositionChange });
  handleRootRef.current = slider.handleRootRef;

  const onKeyDown = useCallback(
    (ev) => {
      const now = slider.position.current;
      const moves = { Home: 0, End: 100, PageUp: clamp(now + 10), PageDown: clamp(now - 10) };
      if (!(ev.key in moves)) return;
      ev.preventDefault();
      slider.setPosition(moves[ev.key]);
    },
    [slider.position, slider.setPosition],
  );

  // Re-rendered when a drag starts or ends; the library keeps the live value in a ref and sets aria-valuenow
  // itself while moving. Rounded here so a re-render does not write a long fraction.
  const now = Math.round(clamp(slider.position.current));
  const imgStyle = { objectFit: fit };
  // A frame in the result's shape: as wide as it can be, but never taller than maxHeight.
  const frameStyle = aspect
    ? { ...(style || {}), aspectRatio: aspect, width: maxHeight ? `min(100%, calc(${maxHeight} * ${aspect}))` : "100%" }
    : style;
  const box = beforeBox || { left: "0%", top: "0%", width: "100%", height: "100%" };
  const frameClass = `pcs-frame${portrait ? " pcs-portrait" : ""}${aspect ? " pcs-fixed" : ""} ${className}`.trim();
  return (
    <>
      <style href="palett-compare-slider" precedence="default">{CSS}</style>
      <div id={id} className={frameClass} style={frameStyle} {...rest}>
      <Slider.Provider {...slider}>
        <Slider.Root className="pcs-root">
          <Slider.Item item="itemOne">
            {aspect ? (
              <div className="pcs-layer">
                <img className="pcs-img" src={beforeSrc} alt={beforeAlt} draggable={false}
                  style={{ ...imgStyle, left: box.left, top: box.top, width: box.width, height: box.height }} />
              </div>
            ) : (
              <img className="pcs-img" src={beforeSrc} alt={beforeAlt} style={imgStyle} draggable={false} />
            )}
            {beforeLabel ? <span className="pcs-badge before" aria-hidden="true">{beforeLabel}</span> : null}
          </Slider.Item>
          <Slider.Item item="itemTwo">
            <img className="pcs-img" src={afterSrc} alt={afterAlt} style={imgStyle} draggable={false} />
            {afterLabel ? <span className="pcs-badge after" aria-hidden="true">{afterLabel}</span> : null}
          </Slider.Item>
          <Slider.HandleRoot
            aria-label={handleLabel || `Compare ${beforeLabel || "before"} and ${afterLabel || "after"}`}
            aria-valuenow={now}
            aria-valuetext={`${now}% ${beforeLabel}, ${100 - now}% ${afterLabel}`}
            aria-keyshortcuts="ArrowLeft ArrowRight Home End PageUp PageDown"
            onKeyDown={onKeyDown}
          >
            <Slider.Handle />
          </Slider.HandleRoot>
        </Slider.Root>
      </Slider.Provider>
      </div>
    </>
  );
}
