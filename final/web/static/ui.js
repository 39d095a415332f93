// The web view's uploads (issue 22): a file goes up in one PUT, or, past the page's part size, as a
// multipart upload of parts of that size, one after another, with a progress bar. Every request
// carries the page's CSRF token. Plain DOM calls: no framework; htmx does the rest of the page.
"use strict";
(function () {
  const token = () => document.querySelector('meta[name="csrf-token"]').content;

  function send(method, url, body, onProgress) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(method, url);
      xhr.setRequestHeader("X-CSRFToken", token());
      xhr.setRequestHeader("Accept", "application/json");
      if (body instanceof Blob) xhr.setRequestHeader("Content-Type", body.type || "application/octet-stream");
      else if (body) xhr.setRequestHeader("Content-Type", "application/json");
      xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded);
      xhr.onload = () => {
        let answer = {};
        try { answer = JSON.parse(xhr.responseText || "{}"); } catch (e) { answer = {}; }
        if (xhr.status >= 200 && xhr.status < 300) resolve(answer);
        else reject(new Error((answer.error || xhr.status) + ": " + (answer.message || xhr.statusText)));
      };
      xhr.onerror = () => reject(new Error("the server could not be reached"));
      xhr.send(body instanceof Blob ? body : body ? JSON.stringify(body) : null);
    });
  }

  async function multipart(base, file, part, progress) {
    const { upload_id } = await send("POST", "/ui/api/uploads?" + base, file.slice(0, 0, file.type));
    const where = base + "&upload_id=" + encodeURIComponent(upload_id);
    try {
      const parts = [];
      for (let number = 1, start = 0; start < file.size; number++, start += part) {
        const piece = file.slice(start, Math.min(start + part, file.size), file.type);
        const answer = await send("PUT", "/ui/api/uploads/part?" + where + "&part=" + number, piece,
                                  (loaded) => progress(start + loaded));
        parts.push({ part: number, etag: answer.etag });
      }
      await send("POST", "/ui/api/uploads/complete?" + where, { parts: parts });
    } catch (failure) {
      send("POST", "/ui/api/uploads/abort?" + where).catch(() => {});
      throw failure;
    }
  }

  async function upload(form) {
    const file = form.querySelector('input[type="file"]').files[0];
    if (!file) return;
    const bar = form.querySelector("progress"), said = form.querySelector("output");
    const typed = form.querySelector('input[name="key"]').value;
    const key = !typed || typed.endsWith("/") ? typed + file.name : typed;
    const base = "bucket=" + encodeURIComponent(form.dataset.bucket) + "&key=" + encodeURIComponent(key);
    const progress = (done) => { bar.value = file.size ? done / file.size : 1; };
    bar.hidden = false; bar.value = 0; said.textContent = "uploading " + key;
    form.querySelector("button").disabled = true;
    try {
      if (file.size <= Number(form.dataset.part)) await send("PUT", "/ui/api/object?" + base, file, progress);
      else await multipart(base, file, Number(form.dataset.part), progress);
      bar.value = 1;
      const link = document.createElement("a");
      link.href = "/ui/object?" + base;
      link.textContent = key;
      said.replaceChildren("uploaded ", link);
      form.dataset.done = key;
    } catch (failure) {
      said.textContent = "refused: " + failure.message;
      form.dataset.failed = failure.message;
    } finally {
      form.querySelector("button").disabled = false;
    }
  }

  document.addEventListener("submit", (event) => {
    if (event.target.matches("form[data-upload]")) {
      event.preventDefault();
      upload(event.target);
    }
  });
})();
