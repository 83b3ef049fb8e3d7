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
  let room = "#lobby";         // the room we are in
  let wanted = null;           // the room we went to, joined again after reconnecting
  let listPending = false;     // the automatic /list: its answer fills the rooms, not the log
  let listing = false;         // reading the lines of a /list answer
  let rooms = [];              // [{ name, count, topic }], biggest first, from the last /list

  // ---- reading the server's lines ----

  const NAME = "[^\\s,*!<>/]+";
  const ROOM = "#[^\\s,:]+";
  const patterns = [
    ["message", new RegExp(`^<(${NAME})> (.*)$`)],
    ["action", new RegExp(`^\\* (${NAME}) (.*)$`)],
    ["privateOut", new RegExp(`^-> \\*(${NAME})\\* (.*)$`)],
    ["privateIn", new RegExp(`^\\*(${NAME})\\* (.*)$`)],
  ];
  const notices = [
    ["welcome", new RegExp(`^Welcome to the chat room, (${NAME}): (.*?)\\.`)],
    ["youAreIn", new RegExp(`^You are in (${ROOM}): (.*?)\\.$`)],
    ["topicIs", new RegExp(`^Topic of (${ROOM}): (.*)$`)],
    ["noTopic", new RegExp(`^(${ROOM}) has no topic$`)],
    ["topicSet", new RegExp(`^(${NAME}) set the topic of (${ROOM}): (.*)$`)],
    ["topicCleared", new RegExp(`^(${NAME}) cleared the topic of (${ROOM})$`)],
    ["roomJoined", new RegExp(`^(${NAME}) joined (${ROOM})$`)],
    ["roomLeft", new RegExp(`^(${NAME}) left (${ROOM})$`)],
    ["roomsHeader", /^Rooms, biggest first \((\d+) in all\):$/],
    ["roomEntry", new RegExp(`^(${ROOM}) \\((\\d+) here\\)(?:: (.*))?$`)],
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

  // "nobody else is here yet", "1 other person is here", "N other people are here" -> N
  function others(text) {
    const m = /^(\d+) other/.exec(text);
    return m ? Number(m[1]) : 0;
  }

  // ---- the names and rooms lists, the room and its topic ----

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

  function renderRooms() {
    const list = $("rooms");
    list.replaceChildren();
    const shown = rooms.some((entry) => entry.name.toLowerCase() === room.toLowerCase())
      ? rooms
      : [{ name: room, count: total, topic: "" }, ...rooms];
    for (const entry of shown) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = entry.name;
      const count = document.createElement("span");
      count.className = "count";
      count.textContent = String(entry.count);
      button.append(count);
      if (entry.topic) button.title = entry.topic;
      if (entry.name.toLowerCase() === room.toLowerCase()) {
        item.className = "current";
        button.setAttribute("aria-current", "true");
      }
      button.addEventListener("click", () => {
        if (entry.name.toLowerCase() !== room.toLowerCase()) submit(`/join ${entry.name}`);
        people.classList.remove("open");
        toggle.setAttribute("aria-expanded", "false");
        input.focus();
      });
      item.append(button);
      list.append(item);
    }
  }

  function setRoom(name) {
    room = name;
    $("room").textContent = name;
    document.title = `${name} · chat`;
    setTopic("");
    renderRooms();
  }

  function setTopic(text) {
    const topic = $("topic");
    topic.textContent = text;
    topic.hidden = text === "";
  }

  function rename(oldName, newName) {
    if (names.delete(oldName)) names.add(newName);
  }

  function askRooms() {
    listPending = true;
    send("/list");
  }

  // ---- the log ----

  // A time of day for the log: `at` (a Date), shown in the reader's time zone.
  function stamp(at) {
    const time = document.createElement("time");
    time.dateTime = at.toISOString();
    time.textContent = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    return time;
  }

  // The instant of a replayed line's `[HH:MM]` (UTC, within the last day).
  function pastTime(hours, minutes) {
    const now = new Date();
    const at = new Date(now);
    at.setUTCHours(Number(hours), Number(minutes), 0, 0);
    if (at > now) at.setUTCDate(at.getUTCDate() - 1);
    return at;
  }

  function show(className, ...parts) {
    showAt(new Date(), className, ...parts);
  }

  function showAt(at, className, ...parts) {
    const item = document.createElement("li");
    item.className = className;
    item.append(stamp(at));
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

  // The parts that show a said line (a message or an action), or null for anything else.
  function said(p) {
    switch (p.kind) {
      case "message":
        return ["message", "<", { name: p.m[1] }, "> " + p.m[2]];
      case "action":
        return ["action", "* ", { name: p.m[1] }, " " + p.m[2]];
      default:
        return null;
    }
  }

  // A line of the room's past, between the history markers: dimmed, with the time it was said.
  function replayed(hours, minutes, line) {
    const p = parseLine(line);
    const [className, ...parts] = said(p) || ["notice", p.text ?? line];
    const own = p.m && p.m[1] === me ? " own" : "";
    showAt(pastTime(hours, minutes), `${className} past${own}`, ...parts);
  }

  function handle(line) {
    if (line.startsWith("--- ")) {
      const end = line.startsWith("--- end");
      const item = document.createElement("li");
      item.className = `marker${end ? " end" : ""}`;
      item.textContent = end ? "now" : `earlier in ${room}`;
      log.append(item);
      return;
    }
    const past = /^\[(\d\d):(\d\d)\] (.*)$/.exec(line);
    if (past) return replayed(past[1], past[2], past[3]);
    const p = parseLine(line);
    if (listing && p.kind !== "roomEntry") {
      listing = false;
      listPending = false;
      renderRooms();
    }
    const parts = said(p);
    if (parts) return show(...parts);
    switch (p.kind) {
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
        total = 1 + others(p.m[2]);
        retry = FIRST_RETRY;
        setStatus("online", `connected as ${me}`);
        setRoom("#lobby");
        if (chosen && chosen !== me) send(`/nick ${chosen}`);
        if (wanted && wanted.toLowerCase() !== "#lobby") send(`/join ${wanted}`);
        whoPending = true;
        send("/who");
        askRooms();
        break;
      case "youAreIn":
        names.clear();
        if (me) names.add(me);
        total = 1 + others(p.m[2]);
        wanted = p.m[1];
        setRoom(p.m[1]);
        whoPending = true;
        send("/who");
        askRooms();
        break;
      case "topicIs":
      case "topicSet":
        if (p.m[p.kind === "topicIs" ? 1 : 2].toLowerCase() === room.toLowerCase()) {
          setTopic(p.m[p.kind === "topicIs" ? 2 : 3]);
        }
        break;
      case "noTopic":
      case "topicCleared":
        setTopic("");
        break;
      case "roomJoined":
        names.add(p.m[1]);
        total += 1;
        break;
      case "roomLeft":
        names.delete(p.m[1]);
        total = Math.max(total - 1, names.size);
        break;
      case "roomsHeader":
        rooms = [];
        listing = true;
        renderRooms();
        if (listPending) return;
        break;
      case "roomEntry":
        if (listing) {
          rooms.push({ name: p.m[1], count: Number(p.m[2]), topic: p.m[3] || "" });
          renderRooms();
          if (listPending) return;
        }
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
        for (const name of listed(p.m[2])) names.add(name.replace(/ \(away\)$/, ""));
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
    } else if (command[1].toLowerCase() === "list") {
      listPending = false;
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
      listing = false;
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
