/**
 * Canvas drawing for the mask editor, all in image pixels: live stroke segments, replaying history
 * operations, re-colouring, and reading the mask back (is anything painted, the exported PNG).
 * Plain functions of a canvas: nothing here knows about React.
 */

export const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

export function makeCanvas(w, h) {
  const c = document.createElement("canvas");
  c.width = w;
  c.height = h;
  return c;
}

/** Draw one dab or segment of a stroke. */
export function drawSegment(ctx, op, color, a, b) {
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

/** Apply a whole history operation (stroke, clear, invert) to a mask context. */
export function applyOp(ctx, op, color) {
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
export function recolor(canvas, color) {
  const ctx = canvas.getContext("2d");
  ctx.save();
  ctx.globalCompositeOperation = "source-in";
  ctx.fillStyle = color;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.restore();
}

/** Whether anything is painted on a w x h mask (checked on a small copy so large images stay cheap). */
export function maskHasPaint(mask, w, h) {
  const k = Math.min(1, 256 / Math.max(w, h));
  const sw = Math.max(1, Math.round(w * k)), sh = Math.max(1, Math.round(h * k));
  const small = makeCanvas(sw, sh);
  const sctx = small.getContext("2d", { willReadFrequently: true });
  sctx.drawImage(mask, 0, 0, sw, sh);
  const d = sctx.getImageData(0, 0, sw, sh).data;
  for (let i = 3; i < d.length; i += 4) if (d[i] > 8) return true;
  return false;
}

/** The mask as a black/white PNG data URL of w x h: alpha >= 50% -> white (paint here), else black. */
export function maskToPng(mask, w, h) {
  const src = mask.getContext("2d").getImageData(0, 0, w, h).data;
  const out = makeCanvas(w, h);
  const octx = out.getContext("2d");
  const img = octx.createImageData(w, h);
  const px = new Uint32Array(img.data.buffer);
  for (let i = 0, j = 3; i < px.length; i++, j += 4) px[i] = src[j] >= 128 ? 0xffffffff : 0xff000000;
  octx.putImageData(img, 0, 0);
  return out.toDataURL("image/png");
}
