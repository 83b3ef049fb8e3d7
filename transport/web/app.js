// The chat's web client: one WebSocket to /ws, one text message per line each way.
// The server's lines are described in docs/PROTOCOL.md; parseLine mirrors chat_core::ServerLine.
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const log = $("log");
  const input = $("line");
  const status = $("status");
  const people = $("people");
  const toggle = $("toggle-names");

  const MAX_LOG = 1000;        // lines kept on screen
  const FIRST_RETRY = 500;     // ms before the first reconnection attempt
  const LAST_RETRY = 15000;    // longest wait between attempts
  const KEEPALIVE = 25000;     // ms between empty messages, which keep proxies from closing an idle connection

  let socket = null;
  let me = null;               // our name in the room, from the welcome line
  let chosen = null;           // a name we picked with /nick, asked for again after reconnecting
  let retry = FIRST_RETRY;
  let whoPending = false;      // the automatic /who after the welcome: its answer fills the list
  let leaving = false;         // we sent /quit: do not reconnect until the next line typed
  const names = new Set();
  let total = 0;

  // ---- reading the server's lines ----

  const NAME = "[^\\s,*!<>/]+";
  const patterns = [
    ["message", new RegExp(`^<(${NAME})> (.*)$`)],
    ["action", new RegExp(`^\\* (${NAME}) (.*)$`)],
    ["privateOut", new RegExp(`^-> \\*(${NAME})\\* (.*)$`)],
    ["privateIn", new RegExp(`^\\*(${NAME})\\* (.*)$`)],
  ];
  const notices = [
    ["welcome", new RegExp(`^Welcome to the chat room, (${NAME}): `)],
    ["youRenamed", new RegExp(`^You are now known as (${NAME})$`)],
    ["who", /^(\d+) here: (.*)$/],
    ["joinedMany", /^(\d+) entered the room: (.*)$/],
    ["offlineMany", /^(\d+) are offline: (.*)$/],
    ["joined", new RegExp(`^(${NAME}) entered the room$`)],
    ["renamed", new RegExp(`^(${NAME}) is now known as (${NAME})$`)],
    ["offline", new RegExp(`^(${NAME}) is offline \\((.*)\\)$`)],
  ];

  function parseLine(line) {
    if (line.startsWith("*** ")) {
      const text = line.slice(4);
      for (const [kind, re] of notices) {
        const m = re.exec(text);
        if (m) return { kind, text, m };
      }
      return { kind: "notice", text };
    }
    if (line.startsWith("! ")) return { kind: "error", text: line.slice(2) };
    for (const [kind, re] of patterns) {
      const m = re.exec(line);
      if (m) return { kind, m };
    }
    return { kind: "other", text: line };
  }

  // "A, B, C and 4 more" -> names shown
  function listed(list) {
    const m = /^(.*) and \d+ more$/.exec(list);
    const shown = m ? m[1] : list;
    return shown === "" ? [] : shown.split(", ");
  }

  // ---- the names list ----

  function renderNames() {
    const list = $("names");
    list.replaceChildren();
    for (const name of [...names].sort((a, b) => a.localeCompare(b))) {
      const item = document.createElement("li");
      item.textContent = name;
      if (name === me) item.className = "me";
      list.append(item);
    }
    const count = Math.max(total, names.size);
    $("count").textContent = count;
    $("count-aside").textContent = count;
    $("more").textContent = count > names.size ? `and ${count - names.size} more` : "";
  }

  function rename(oldName, newName) {
    if (names.delete(oldName)) names.add(newName);
  }

  // ---- the log ----

  function show(className, ...parts) {
    const item = document.createElement("li");
    item.className = className;
    const time = document.createElement("time");
    const now = new Date();
    time.dateTime = now.toISOString();
    time.textContent = now.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    item.append(time);
    for (const part of parts) {
      if (typeof part === "string") {
        item.append(part);
      } else {
        const span = document.createElement("span");
        span.className = "name";
        span.textContent = part.name;
        item.append(span);
      }
    }
    const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
    log.append(item);
    while (log.childElementCount > MAX_LOG) log.firstElementChild.remove();
    if (atBottom) item.scrollIntoView({ block: "end" });
  }

  function handle(line) {
    const p = parseLine(line);
    switch (p.kind) {
      case "message":
        return show("message", "<", { name: p.m[1] }, "> " + p.m[2]);
      case "action":
        return show("action", "* ", { name: p.m[1] }, " " + p.m[2]);
      case "privateIn":
        return show("private", "from ", { name: p.m[1] }, ": " + p.m[2]);
      case "privateOut":
        return show("private own", "to ", { name: p.m[1] }, ": " + p.m[2]);
      case "error":
        return show("error", p.text);
      case "welcome":
        me = p.m[1];
        names.clear();
        names.add(me);
        total = 1;
        retry = FIRST_RETRY;
        setStatus("online", `connected as ${me}`);
        if (chosen && chosen !== me) send(`/nick ${chosen}`);
        whoPending = true;
        send("/who");
        break;
      case "youRenamed":
        rename(me, p.m[1]);
        me = p.m[1];
        chosen = me;
        setStatus("online", `connected as ${me}`);
        break;
      case "who":
        total = Number(p.m[1]);
        names.clear();
        for (const name of listed(p.m[2])) names.add(name);
        if (me) names.add(me);
        renderNames();
        if (whoPending) {
          whoPending = false;
          return;
        }
        break;
      case "joined":
        names.add(p.m[1]);
        total += 1;
        break;
      case "joinedMany":
        for (const name of listed(p.m[2])) names.add(name);
        total += Number(p.m[1]);
        break;
      case "offline":
        names.delete(p.m[1]);
        total = Math.max(total - 1, names.size);
        break;
      case "offlineMany":
        for (const entry of listed(p.m[2])) names.delete(entry.split(" (")[0]);
        total = Math.max(total - Number(p.m[1]), names.size);
        break;
      case "renamed":
        rename(p.m[1], p.m[2]);
        break;
    }
    renderNames();
    show(p.kind === "other" ? "message" : "notice", p.kind === "other" ? p.text : line.slice(4));
  }

  // ---- sending ----

  function send(line) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(line);
      return true;
    }
    return false;
  }

  function submit(line) {
    if (leaving && !socket) {
      leaving = false;
      retry = FIRST_RETRY;
      connect();
      return;
    }
    if (line.trim() === "") return;
    if (!send(line)) {
      show("error", "Not connected: your line was not sent. Reconnecting…");
      return;
    }
    // The server does not echo our own lines: show what we said.
    const command = /^\/(\S+)\s*(.*)$/.exec(line);
    if (line.startsWith("//")) {
      show("message own", "<", { name: me || "me" }, "> " + line.slice(1));
    } else if (!command) {
      show("message own", "<", { name: me || "me" }, "> " + line);
    } else if (command[1].toLowerCase() === "me" && command[2] !== "") {
      show("action own", "* ", { name: me || "me" }, " " + command[2]);
    } else if (command[1].toLowerCase() === "nick") {
      chosen = command[2].trim() || chosen;
    } else if (command[1].toLowerCase() === "who") {
      whoPending = false;
    } else if (command[1].toLowerCase() === "quit") {
      leaving = true;
    }
  }

  $("compose").addEventListener("submit", (event) => {
    event.preventDefault();
    submit(input.value);
    input.value = "";
    input.focus();
  });

  toggle.addEventListener("click", () => {
    const open = people.classList.toggle("open");
    toggle.setAttribute("aria-expanded", String(open));
  });

  // ---- the connection ----

  function setStatus(state, text) {
    status.className = `status ${state}`;
    status.textContent = text;
  }

  function connect() {
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    setStatus("connecting", "connecting…");
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    socket = ws;
    ws.addEventListener("message", (event) => {
      for (const line of String(event.data).split("\n")) if (line !== "") handle(line);
    });
    ws.addEventListener("close", (event) => {
      if (socket !== ws) return;
      socket = null;
      me = null;
      names.clear();
      total = 0;
      renderNames();
      const wait = Math.round(retry * (0.75 + Math.random() / 2));
      retry = Math.min(retry * 2, LAST_RETRY);
      if (leaving) {
        setStatus("offline", "you left; press Send to join again");
        return;
      }
      const why = event.reason ? ` (${event.reason})` : "";
      setStatus("offline", `disconnected${why}; retrying in ${Math.ceil(wait / 1000)} s`);
      setTimeout(connect, wait);
    });
  }

  // An empty message is an empty line, which the server ignores.
  setInterval(() => send(""), KEEPALIVE);

  connect();
  input.focus();
})();
