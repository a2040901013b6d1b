// Palett library helpers (gallery, explore, image page, profile). Plain DOM, no framework:
// 1. Infinite scroll: an element with data-autoload="<button id>" is watched with an IntersectionObserver;
//    while it is near the viewport its "Load more" button is clicked (the button is disabled while a page
//    loads, and it stays visible and usable by keyboard for anyone who prefers it).
// 2. The image page: left/right arrows open the neighbours, Esc goes back to the gallery.
// 3. The lightbox: focus back on the tile it showed last; a zoomed picture pans by mouse drag.
// 4. The profile picture: the file input posts to /api/profile/avatar, and the answer goes to Reflex through
//    the hidden #avatar-done button (the same hand-over as uploads.js).
(function () {
  let watched = null;
  let near = false;
  let observer = null;

  function pull() {
    if (!watched || !near || !document.contains(watched)) return;
    const button = document.getElementById(watched.dataset.autoload);
    if (button && !button.disabled && button.getAttribute("aria-busy") !== "true") button.click();
  }

  function watch() {
    const sentinel = document.querySelector("[data-autoload]");
    if (sentinel === watched) return;
    if (observer) observer.disconnect();
    watched = sentinel;
    near = false;
    if (!sentinel || !("IntersectionObserver" in window)) return;
    observer = new IntersectionObserver((entries) => {
      near = entries.some((entry) => entry.isIntersecting);
      pull();
    }, { rootMargin: "0px 0px 900px 0px" });
    observer.observe(sentinel);
  }

  // Pages come and go without a reload (client-side routing), and a loaded page may leave the sentinel in
  // view (a tall screen): check both a few times a second.
  setInterval(() => { watch(); pull(); }, 300);

  // Back in the gallery from an image page: bring that image's tile into view and focus it.
  window.palettShowTile = (id) => {
    setTimeout(() => {
      const tile = document.querySelector(`.gallery-tile[data-id="${Number(id)}"]`);
      if (!tile) return;
      tile.scrollIntoView({ block: "center" });
      const link = tile.querySelector("a");
      if (link) link.focus({ preventScroll: true });
    }, 60);
  };

  // The lightbox closed: focus the tile of the picture it showed last (after the dialog restored its own focus).
  window.palettFocusTile = (id) => {
    setTimeout(() => {
      const tile = document.querySelector(`[data-lightbox-tile="${Number(id)}"]`);
      if (tile) tile.focus({ preventScroll: false });
    }, 80);
  };

  // A zoomed lightbox picture pans by dragging it with a mouse (fingers and trackpads scroll it natively).
  let drag = null;
  document.addEventListener("pointerdown", (event) => {
    const pan = event.target.closest && event.target.closest(".lightbox-pan.zoomed");
    if (!pan || event.pointerType !== "mouse" || event.button !== 0) return;
    drag = { pan, x: event.clientX, y: event.clientY, left: pan.scrollLeft, top: pan.scrollTop };
    pan.classList.add("dragging");
    event.preventDefault();
  });
  document.addEventListener("pointermove", (event) => {
    if (!drag) return;
    drag.pan.scrollLeft = drag.left - (event.clientX - drag.x);
    drag.pan.scrollTop = drag.top - (event.clientY - drag.y);
  });
  document.addEventListener("pointerup", () => {
    if (drag) drag.pan.classList.remove("dragging");
    drag = null;
  });

  const KEYS = { ArrowLeft: "prev-image", ArrowRight: "next-image", Escape: "back-to-gallery" };
  document.addEventListener("keydown", (event) => {
    if (!document.getElementById("image-page") || event.defaultPrevented) return;
    if (event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) return;
    const target = KEYS[event.key];
    if (!target) return;
    const typing = event.target && event.target.closest &&
      event.target.closest("input, textarea, select, [contenteditable='true'], [role='slider'], [role='radiogroup'], [role='radio']");
    const overlay = document.querySelector("[role='dialog'], [role='alertdialog'], [role='menu'], [role='listbox']");
    if (typing || overlay) return;
    const link = document.getElementById(target);
    if (!link) return;
    event.preventDefault();
    link.click();
  });

  // Labels that stand in for a file picker open it with Enter or Space too.
  document.addEventListener("keydown", (event) => {
    const label = event.target && event.target.closest && event.target.closest("[data-file-input]");
    if (!label || (event.key !== "Enter" && event.key !== " ")) return;
    event.preventDefault();
    const input = document.getElementById(label.dataset.fileInput);
    if (input) input.click();
  });

  async function sendAvatar(file) {
    const busy = document.getElementById("avatar-busy");
    if (busy) busy.click();
    const form = new FormData();
    form.append("file", file, file.name || "avatar.png");
    let answer;
    try {
      const response = await fetch("/api/profile/avatar", { method: "POST", body: form, credentials: "same-origin" });
      try {
        answer = await response.json();
      } catch (e) {
        answer = { error: "upload_failed", message: response.status === 413 ? "That file is too large." : "The upload failed." };
      }
    } catch (e) {
      answer = { error: "upload_failed", message: "The upload failed. Check your connection and try again." };
    }
    window.__palettAvatar = answer;
    const done = document.getElementById("avatar-done");
    if (done) done.click();
  }

  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input && input.id === "avatar-input" && input.files && input.files[0]) {
      sendAvatar(input.files[0]);
      input.value = "";
    }
  });
})();
