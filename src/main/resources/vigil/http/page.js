// Vigil's status page: live from /events (the same events as `vigil events`), buttons as POSTs. Plain JavaScript,
// nothing fetched from elsewhere.
"use strict";
(function () {
  const mode = document.body.dataset.mode;
  const tokenInput = document.getElementById("token");
  const message = document.getElementById("message");
  const events = document.getElementById("events");
  const live = document.getElementById("live");
  if (tokenInput) {
    tokenInput.value = sessionStorage.getItem("vigil-token") || "";
    tokenInput.addEventListener("change", () => sessionStorage.setItem("vigil-token", tokenInput.value));
  }

  function text(cell, value) { cell.textContent = value; }

  function lastExit(last) {
    if (!last) return "";
    return last.signal ? last.signal : (last.code === undefined ? "" : "exit " + last.code);
  }

  function duration(ms) {
    const s = Math.floor(ms / 1000);
    if (s < 120) return s + "s";
    if (s < 7200) return Math.floor(s / 60) + "m";
    if (s < 172800) return Math.floor(s / 3600) + "h";
    return Math.floor(s / 86400) + "d";
  }

  function ready(e) { return e.state === "up" || e.state === "active"; }

  // Rows are updated in place from /api/status, which has the same entries the page was rendered from.
  function update(entries) {
    for (const e of entries) {
      const row = document.querySelector('tr[data-service="' + CSS.escape(e.name) + '"]');
      if (!row) { location.reload(); return; }
      const cells = row.cells;
      row.className = e.state + (e.crash_loop ? " crashloop" : "");
      cells[1].textContent = e.state;
      if (e.crash_loop) {
        const mark = document.createElement("strong");
        mark.className = "loop";
        mark.textContent = " crash loop";
        cells[1].appendChild(mark);
      }
      text(cells[2], e.pid > 0 ? String(e.pid) : "");
      text(cells[3], e.pid > 0 && e.elapsed_ms !== undefined ? duration(e.elapsed_ms) : "");
      text(cells[4], String(e.restarts || 0));
      text(cells[5], lastExit(e.last_exit));
      text(cells[6], ready(e) ? "yes" : "no");
    }
  }

  let refreshing = false, again = false;
  async function refresh() {
    if (refreshing) { again = true; return; }
    refreshing = true;
    try {
      const reply = await fetch("/api/status", { cache: "no-store" });
      if (reply.ok) {
        const status = await reply.json();
        update(status.services);
        const r = document.getElementById("ready");
        r.textContent = status.ready ? "ready" : "not ready";
        r.className = status.ready ? "ok" : "bad";
      }
    } finally {
      refreshing = false;
      if (again) { again = false; refresh(); }
    }
  }

  const source = new EventSource("/events");
  source.onopen = () => { live.textContent = "live"; live.className = "ok"; refresh(); };
  source.onerror = () => { live.textContent = "reconnecting"; live.className = "bad"; };
  source.onmessage = (m) => {
    const e = JSON.parse(m.data);
    const item = document.createElement("li");
    item.textContent = new Date(e.time).toLocaleTimeString() + " " + e.service + ": " + e.event
        + (e.pid ? " (pid " + e.pid + ")" : "") + (e.signal ? " " + e.signal : "")
        + (e.code !== undefined ? " code " + e.code : "");
    events.prepend(item);
    while (events.children.length > 100) events.lastChild.remove();
    refresh();
  };

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button[data-action]");
    if (!button) return;
    const headers = {};
    if (tokenInput && tokenInput.value) headers["Authorization"] = "Bearer " + tokenInput.value;
    const service = button.dataset.service.split("/").map(encodeURIComponent).join("/");
    const reply = await fetch("/api/services/" + service + "/" + button.dataset.action,
        { method: "POST", headers: headers, cache: "no-store" });
    message.textContent = button.dataset.action + " " + button.dataset.service + ": "
        + (reply.ok ? "done" : reply.status + " " + (await reply.text()).trim());
    message.className = reply.ok ? "ok" : "bad";
    refresh();
  });
})();
