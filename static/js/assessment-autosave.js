// The case-study writing page: a live word count, and the draft saved a couple of seconds
// after typing stops and when the box loses focus. The form's buttons save it too, so
// nothing depends on this script.
(() => {
  const form = document.getElementById("submission-form");
  if (!form) return;
  const box = form.querySelector("textarea[name=text]");
  const count = document.getElementById("word-count");
  const status = document.getElementById("save-status");
  const token = form.querySelector("input[name=csrfmiddlewaretoken]").value;
  const limit = parseInt(form.dataset.wordLimit, 10) || 0;
  const url = form.dataset.autosaveUrl;
  const DELAY_MS = 2000;
  let timer = null;
  let lastSaved = box.value;
  let saving = false;
  let saveAgain = false;

  // As a word processor counts: runs of characters between whitespace (as the server does).
  const words = (text) => {
    const trimmed = text.trim();
    return trimmed ? trimmed.split(/\s+/).length : 0;
  };

  const showCount = () => {
    const n = words(box.value);
    let message = `${n.toLocaleString("en-GB")} word${n === 1 ? "" : "s"}`;
    const over = limit && n > limit ? n - limit : 0;
    if (limit) message += ` of ${limit.toLocaleString("en-GB")}`;
    if (over) {
      message += `: ${over.toLocaleString("en-GB")} over the limit. Your draft is saved, `
        + "but you need to cut it before you can submit.";
    }
    count.textContent = message;
    count.classList.toggle("text-danger", Boolean(over));
    count.classList.toggle("fw-semibold", Boolean(over));
    count.classList.toggle("text-body-secondary", !over);
  };

  const save = async () => {
    clearTimeout(timer);
    if (box.value === lastSaved) return;
    if (saving) {
      saveAgain = true;
      return;
    }
    saving = true;
    const text = box.value;
    const body = new FormData();
    body.append("text", text);
    try {
      const response = await fetch(url, {
        method: "POST",
        body,
        credentials: "same-origin",
        headers: { "X-CSRFToken": token, Accept: "application/json" },
      });
      const data = await response.json().catch(() => ({}));
      if (response.ok && data.saved_at) {
        lastSaved = text;
        status.textContent = `Saved at ${data.saved_at}`;
      } else if (response.redirected || response.status === 403 || response.ok) {
        // Sent to the sign-in page, or refused for want of the session's cookies: the
        // session ended, and nothing was saved.
        status.textContent = "Not saved: you have been signed out. Copy your text, sign in "
          + "again in another tab, then press Save draft.";
      } else {
        status.textContent = data.error ? `Not saved: ${data.error}` : "Not saved: check your connection";
      }
    } catch (error) {
      status.textContent = "Not saved: check your connection";
    } finally {
      saving = false;
      if (saveAgain) {
        saveAgain = false;
        save();
      }
    }
  };

  box.addEventListener("input", () => {
    showCount();
    clearTimeout(timer);
    timer = setTimeout(save, DELAY_MS);
  });
  // Leaving the box saves it, unless for one of the form's buttons, whose press saves it:
  // two saves racing each other would be one too many.
  box.addEventListener("blur", (event) => {
    const next = event.relatedTarget;
    if (next && next.form === form && next.type === "submit") return;
    save();
  });
  // The page's own buttons save the text: nothing for the script to do after that.
  form.addEventListener("submit", () => clearTimeout(timer));
  showCount();
})();
