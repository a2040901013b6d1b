// Palett uploads: file picker, drag and drop, and paste all post to /api/uploads (streamed, size-capped
// and checked on the server), then hand the JSON answer to Reflex through the hidden #upload-done button.
(function () {
  function done(answer) {
    window.__palettUpload = answer;
    const button = document.getElementById("upload-done");
    if (button) button.click();
  }

  async function send(file) {
    const busy = document.getElementById("upload-busy");
    if (busy) busy.click();
    const form = new FormData();
    form.append("file", file, file.name || "pasted-image.png");
    try {
      const response = await fetch("/api/uploads", { method: "POST", body: form, credentials: "same-origin" });
      let answer;
      try {
        answer = await response.json();
      } catch (e) {
        answer = { error: "upload_failed", message: response.status === 413 ? "That file is too large." : "The upload failed." };
      }
      done(answer);
    } catch (e) {
      done({ error: "upload_failed", message: "The upload failed. Check your connection and try again." });
    }
  }

  window.palettSendFile = send;
  document.addEventListener("change", (event) => {
    const input = event.target;
    if (input && input.id === "upload-input" && input.files && input.files[0]) {
      send(input.files[0]);
      input.value = "";
    }
  });
  document.addEventListener("dragover", (event) => {
    const zone = event.target.closest && event.target.closest("#dropzone");
    if (zone) {
      event.preventDefault();
      zone.classList.add("dragging");
    }
  });
  document.addEventListener("dragleave", (event) => {
    const zone = event.target.closest && event.target.closest("#dropzone");
    if (zone) zone.classList.remove("dragging");
  });
  document.addEventListener("drop", (event) => {
    const zone = event.target.closest && event.target.closest("#dropzone");
    if (!zone) return;
    event.preventDefault();
    zone.classList.remove("dragging");
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) send(file);
  });
  document.addEventListener("paste", (event) => {
    if (!document.getElementById("dropzone") || !event.clipboardData) return;
    const item = Array.from(event.clipboardData.items).find((i) => i.type.startsWith("image/"));
    if (item) {
      event.preventDefault();
      send(item.getAsFile());
    }
  });
})();
