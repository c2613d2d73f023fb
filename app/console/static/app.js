// The Rendezvous console: every page is drawn from the public API with the caller's key (kept for this tab
// only, in sessionStorage). Buttons appear for write keys and call the same endpoints a client would.
// Open pages refresh every REFRESH_MS. Everything shown is set as text, never as HTML.

const KEY = "rendezvous.key";
const REFRESH_MS = 2000;
const FOLLOWING_MS = 15000; // while a stream follows the page: a slow refresh beside it, for what it does not watch
const RETRY_STREAM_MS = 30000;
const RECONNECT_MS = 1000; // at least this long between a stream's end and the next
const TIMEOUT_MS = 15000; // a request that takes longer is given up (the next refresh asks again)
const SPARK_POINTS = 60;
const DETAILS = 20; // deliveries whose attempts a page reads, each refresh
const main = document.getElementById("main");
let caller = null;
let timer = null;
let generation = 0; // a draw started before the latest one is not shown
let notice = null; // the last action's error, kept across refreshes until the next action
let stream = null; // the open /v1/watch of a gather, run or wait page: it redraws on each change
let acting = 0; // actions under way: no refresh redraws their buttons meanwhile
let asking = false; // the key is being asked for: nothing draws over the form
const samples = []; // [seconds, reports, resolutions, deliveries] from /metrics while the overview is open

// ---- helpers

function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem(KEY);
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const init = { method, headers, body: body === undefined ? undefined : JSON.stringify(body) };
  const response = await fetch(path, { ...init, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = text;
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

const get = (path) => api("GET", path);
const q = encodeURIComponent;
const canWrite = () => caller && caller.role !== "read";

function status(value) {
  return h("span", { class: `status status-${value}`, "data-status": value }, value);
}

function bar(done, total) {
  const pct = total > 0 ? Math.round((100 * done) / total) : 0;
  const fill = h("span", {});
  fill.style.width = `${pct}%`;
  return h("span", {}, h("span", { class: "bar", title: `${pct}%` }, fill), `${done} / ${total}`);
}

function words(value) {
  if (value === null || value === undefined) return "—";
  if (typeof value === "string") return value;
  if (typeof value === "object" && !Array.isArray(value)) {
    const text = value.message || value.reason || value.error;
    if (typeof text === "string") return text;
  }
  return JSON.stringify(value);
}

// A JSON value in a cell, cut after ``limit`` characters.
function json(value, limit = 300) {
  if (value === null || value === undefined) return "—";
  const text = JSON.stringify(value);
  return h("code", { title: text.length > limit ? text : null }, text.length > limit ? `${text.slice(0, limit)}…` : text);
}

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function when(iso) {
  return iso ? new Date(iso).toLocaleString() : "—";
}

function table(headings, rows, empty) {
  if (!rows.length) return h("p", { class: "muted" }, empty);
  return h("table", {}, h("thead", {}, h("tr", {}, headings.map((x) => h("th", {}, x)))), h("tbody", {}, rows));
}

function facts(pairs) {
  return h("dl", { class: "facts" }, pairs.filter(Boolean).map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]));
}

// A button that calls ``run`` once per click, then draws the page again. No refresh redraws the page (and
// so no enabled copy of the button comes back) while an action runs, or while its confirmation is asked.
function action(label, run, danger) {
  if (!canWrite()) return null;
  const button = h("button", { class: danger ? "danger" : null, type: "button" }, label);
  button.addEventListener("click", async () => {
    acting++;
    generation++; // a draw under way, started before the click, is not shown
    try {
      if (!danger || confirm(`${label}?`)) {
        button.disabled = true;
        notice = null;
        try {
          await run();
        } catch (error) {
          notice = `${label}: ${error.message}`;
        }
      }
    } finally {
      acting--;
    }
    await draw(); // also after a dismissed confirmation: the draw it set aside is made now
  });
  return button;
}

// ---- pages

async function overview() {
  const all = await get("/v1/overview");
  const [open, timedOut, failed] = [all.gathers.open, all.gathers.timed_out, all.gathers.failed];
  const [runs, paused, failedRuns] = [all.runs.running, all.runs.paused, all.runs.failed];
  const [waits, newJobs, busyJobs] = [all.waits, all.batch_jobs.pending, all.batch_jobs.running];
  const counted = (c) => `${c.count}${c.more ? "+" : ""}`;
  const batchJobs = { items: [...newJobs.items, ...busyJobs.items], next_cursor: newJobs.next_cursor || busyJobs.next_cursor };
  const gatherRow = (g) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/gathers/${q(g.id)}` }, g.id)), h("td", {}, status(g.status)),
      h("td", {}, bar(g.done, g.total)), h("td", {}, `${g.failed} failed`), h("td", {}, when(g.deadline_at)));
  const runRow = (r) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/runs/${q(r.id)}` }, r.id)), h("td", {}, r.workflow),
      h("td", {}, status(r.status)), h("td", {}, when(r.created_at)), h("td", {}, when(r.finished_at)));
  const more = (page, href, label = "…and more", cut = false) => (!page.next_cursor && !cut ? null
    : href ? h("p", {}, h("a", { href, class: "more" }, label)) : h("p", { class: "muted" }, label));
  // The latest 20 that ended, of both statuses (each list comes the latest first).
  const ended = [...timedOut.items, ...failed.items]
    .sort((a, b) => (a.resolved_at < b.resolved_at ? 1 : a.resolved_at > b.resolved_at ? -1 : 0)).slice(0, 20);
  const shown = (status) => ended.filter((g) => g.status === status).length;
  const endedRow = (g) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/gathers/${q(g.id)}` }, g.id)), h("td", {}, status(g.status)),
      h("td", {}, bar(g.done, g.total)), h("td", {}, `${g.failed} failed`), h("td", {}, when(g.resolved_at)));
  return [
    h("h1", {}, "Overview"),
    h("section", { id: "throughput" },
      h("h2", {}, "Throughput (this server process, every namespace, while this page is open)"), sparks()),
    h("section", { id: "deliveries" }, h("h2", {}, "Deliveries"),
      facts([
        ["dead", h("a", { href: "/ui/deliveries?status=dead" }, counted(all.deliveries.dead))],
        ["pending (due, or retried later)", h("a", { href: "/ui/deliveries?status=pending" }, counted(all.deliveries.pending))],
      ])),
    h("section", { id: "open-gathers" }, h("h2", {}, "Open gathers"),
      table(["gather", "status", "progress", "failures", "deadline"], open.items.map(gatherRow), "No open gather."),
      more(open, "/ui/gathers?status=waiting")),
    h("section", { id: "ended-gathers" }, h("h2", {}, "Gathers that timed out or failed (the latest 20)"),
      table(["gather", "status", "progress", "failures", "ended"], ended.map(endedRow), "None."),
      more(failed, "/ui/gathers?status=failed", "…more that failed", shown("failed") < failed.items.length),
      more(timedOut, "/ui/gathers?status=timed_out", "…more that timed out", shown("timed_out") < timedOut.items.length)),
    h("section", { id: "open-waits" }, h("h2", {}, "Open waits"),
      table(["group", "participants", "deadline"], waits.items.map((w) =>
        h("tr", {}, h("td", {}, h("a", { href: `/ui/waits/${q(w.group_key)}` }, w.group_key)),
          h("td", {}, bar(w.participant_count, w.expected)), h("td", {}, when(w.deadline_at)))), "No open wait."),
      more(waits, "/ui/waits?status=waiting")),
    h("section", { id: "batch-jobs" }, h("h2", {}, "Open batch jobs"),
      table(["batch job", "items done", "batches open / all", "callback"], batchJobs.items.map((j) =>
        h("tr", {}, h("td", {}, h("a", { href: `/ui/batch-jobs/${q(j.id)}` }, j.id)),
          h("td", {}, batchBar(j.batches)), h("td", {}, j.batches ? `${j.batches.batches.open} / ${j.batches.batches.total}` : "—"),
          h("td", {}, j.batches && j.batches.callback ? "yes" : "no"))), "No open batch job."),
      more(newJobs, "/ui/batch-jobs?status=pending", "…more pending"),
      more(busyJobs, "/ui/batch-jobs?status=running", "…more running")),
    h("section", { id: "runs" }, h("h2", {}, "Running, paused and failed runs (failed: the latest 20)"),
      table(["run", "workflow", "status", "started", "finished"],
        [...runs.items, ...paused.items, ...failedRuns.items].map(runRow), "No run running, paused or failed."),
      more(runs, "/ui/runs?status=running", "…more running"), more(paused, "/ui/runs?status=paused", "…more paused"),
      more(failedRuns, "/ui/runs?status=failed", "…more failed")),
  ];
}

async function gatherPage(id) {
  const base = `/v1/gathers/${q(id)}`;
  const [gather, explain, members, deliveries] = await Promise.all([
    get(base),
    get(`${base}/explain`),
    get(`${base}/members?limit=100`),
    get(`/v1/deliveries?subject_kind=gather&subject_id=${q(id)}&limit=50`),
  ]);
  const waitingFor = gather.pending_job_ids;
  const open = gather.status === "waiting";
  return [
    h("h1", {}, "Gather ", h("code", {}, gather.id), " ", status(gather.status)),
    h("section", {}, facts([
      ["progress", bar(gather.done, gather.total)],
      ["succeeded / failed", `${gather.succeeded} / ${gather.failed}`],
      ["on failure", gather.on_failure],
      ["sealed", gather.sealed ? "yes" : "no (more members may come)"],
      ["deadline", when(gather.deadline_at)],
      ["created / resolved", `${when(gather.created_at)} / ${when(gather.resolved_at)}`],
    ]),
    gather.status === "waiting" && !gather.sealed ? action("Seal", () => api("POST", `${base}/seal`)) : null,
    gather.status === "waiting" ? action("Cancel gather", () => api("DELETE", base), true) : null),
    h("section", { class: "explain", id: "explain" }, h("h2", {}, "Why"), explainGather(gather, explain)),
    open || gather.pending ? h("section", { id: "waiting-for" },
      h("h2", {}, `${open ? "Waiting for" : "Never finished"} (${gather.pending}${gather.pending > waitingFor.length ? `; the first ${waitingFor.length}` : ""})`),
      waitingFor.length ? h("ul", {}, waitingFor.map((j) => h("li", {}, h("code", {}, j)))) : h("p", { class: "muted" }, "Nothing.")) : null,
    h("section", { id: "deliveries" }, h("h2", {}, "Callbacks"), await callbacks(deliveries)),
    h("section", { id: "members" }, h("h2", {}, "Members"),
      table(["#", "job", "status", "error"], members.items.map((m) =>
        h("tr", {}, h("td", {}, m.position), h("td", {}, h("code", {}, m.id)), h("td", {}, status(m.status)),
          h("td", {}, m.error ? words(m.error) : ""))), "No members."),
      members.next_cursor ? h("p", { class: "muted" }, "The first 100 members.") : null),
  ];
}

// Why a gather waits, or how it ended, from its fields (the members it waits for are listed below).
function explainGather(gather, explain) {
  const ENDS = { succeeded: "every member succeeded", completed: "every member finished, some failed",
    failed: "a member failed (on_failure: fail_fast)", timed_out: "its deadline passed", cancelled: "it was cancelled" };
  if (gather.status !== "waiting")
    return h("p", {}, `It ended ${gather.status} at ${when(gather.resolved_at)}: ${ENDS[gather.status] || gather.status}.`);
  const lines = [];
  if (!gather.sealed) lines.push("It is not sealed: it cannot resolve until it is sealed (more members may come).");
  if (gather.pending) lines.push(`It waits for ${gather.pending} of ${plural(gather.total, "member")} to finish.`);
  if (gather.failed && gather.on_failure === "wait_all")
    lines.push(`${plural(gather.failed, "member")} failed; it waits for the rest (on_failure: wait_all).`);
  lines.push(gather.deadline_at ? `It times out at ${when(gather.deadline_at)}` +
    (explain.seconds_to_deadline != null ? ` (in ${Math.round(explain.seconds_to_deadline)} s).` : ".")
    : `It has no deadline: it waits until every member finishes${gather.on_failure === "fail_fast" ? ", or one fails" : ""}.`);
  return lines.map((line) => h("p", {}, line));
}

// A subject's callbacks (the first 50, oldest first), and a note when it has more.
async function callbacks(page) {
  return [await deliveryTable(page.items, "No callback so far."),
    page.next_cursor ? h("p", { class: "muted" }, "The first 50 callbacks (oldest first); GET /v1/deliveries lists the rest.") : null];
}

async function deliveryTable(items, empty = "None.") {
  // Every attempt (status, latency, error) of the rows that did not succeed, at most DETAILS of them.
  let budget = DETAILS;
  const details = await Promise.all(items.map((d) =>
    d.status !== "succeeded" && budget-- > 0 ? get(`/v1/deliveries/${q(d.id)}`) : d));
  const rows = details.map((d) =>
    h("tr", { "data-delivery": d.id },
      h("td", {}, d.event_type), h("td", {}, status(d.status)),
      h("td", {}, subjectLink(d)),
      h("td", {}, attempts(d)),
      h("td", {}, d.status === "dead" ? action("Redeliver", () => api("POST", `/v1/deliveries/${q(d.id)}/redeliver`)) : null)));
  return table(["event", "status", "subject", "attempts (status, ms, error)", ""], rows, empty);
}

// Where a callback's subject is shown: a gather, a run, a wait (by its id) or a batch job ("job"). A task
// message names its attempt's job, "<run>:<step>:<item>:a<attempt>", whose run's history lists it.
const SUBJECT_PAGES = { gather: "gathers/", run: "runs/", wait: "waits/-/", job: "batch-jobs/" };

function subjectLink(d) {
  const label = `${d.subject_kind} ${d.subject_id}`;
  if (d.subject_kind === "task") {
    const parts = d.subject_id.split(":");
    if (parts.length < 4 || !/^a\d+$/.test(parts[parts.length - 1])) return label;
    return h("a", { href: `/ui/runs/${q(parts.slice(0, -3).join(":"))}` }, label);
  }
  const page = SUBJECT_PAGES[d.subject_kind];
  return page ? h("a", { href: `/ui/${page}${q(d.subject_id)}` }, label) : label;
}

function attempts(delivery) {
  const log = delivery.attempt_log || [];
  if (!log.length) {
    const last = delivery.last_status_code ?? delivery.last_error ?? "";
    return h("span", { class: "muted" }, `${plural(delivery.attempts, "attempt")}${last === "" ? "" : `, last ${last}`}`);
  }
  return h("ol", {}, log.map((a) =>
    h("li", {}, `${a.status_code ?? "—"}, ${a.duration_ms == null ? "—" : a.duration_ms.toFixed(1)} ms` +
      (a.error ? `, ${a.error}` : ""))));
}

function batchBar(progress) {
  if (!progress) return "—";
  const items = progress.items;
  return bar(items.items - items.pending, items.items);
}

async function batchJobPage(id) {
  const [job, first, open] = await Promise.all([
    get(`/v1/batch-jobs/${q(id)}`),
    get(`/v1/jobs/${q(id)}/batches?limit=100`),
    get(`/v1/jobs/${q(id)}/batches?status=open&limit=100`),
  ]);
  // The first 100 batches, and the open ones past them (the ones with a button).
  const later = open.items.filter((b) => !first.items.some((f) => f.index === b.index));
  const batches = { items: [...first.items, ...later], next_cursor: first.next_cursor };
  const progress = job.batches;
  const items = progress.items;
  return [
    h("h1", {}, "Batch job ", h("code", {}, job.id), " ", status(job.status)),
    h("section", {}, facts([
      ["items done", batchBar(progress)],
      ["processed / skipped / errored / withdrawn", `${items.processed} / ${items.skipped} / ${items.errored} / ${items.withdrawn}`],
      ["batches open / finished / all", `${progress.batches.open} / ${progress.batches.finished} / ${progress.batches.total}`],
      ["sealed", progress.sealed ? `yes, ${when(progress.sealed_at)}` : "no (more batches may come)"],
      ["fails on errors", progress.fail_on_errors ? "yes" : "no"],
      ["completed", when(progress.completed_at)],
      job.error ? ["error", words(job.error)] : null,
    ]), !progress.sealed && ["pending", "running"].includes(job.status)
      ? action("Seal", () => api("POST", `/v1/jobs/${q(id)}/seal`)) : null),
    h("section", { id: "batches" }, h("h2", {}, "Batches"),
      table(["#", "status", "items", "pending", "processed", "skipped", "errored", "withdrawn", "sets", ""], batches.items.map((b) =>
        h("tr", { "data-batch": b.index }, h("td", {}, b.index),
          h("td", {}, status(b.status), b.finished_by ? h("div", { class: "muted" }, `by ${b.finished_by}`) : null,
            b.abort_error ? h("div", { class: "error" }, words(b.abort_error)) : null),
          h("td", {}, b.counts.items), h("td", {}, b.counts.pending), h("td", {}, b.counts.processed),
          h("td", {}, b.counts.skipped), h("td", {}, b.counts.errored), h("td", {}, b.counts.withdrawn),
          h("td", {}, Object.entries(b.sets).map(([name, n]) => `${name} ${n}`).join(", ")),
          h("td", {}, b.status === "open" ? action(`Abort batch ${b.index}`, () =>
            api("POST", `/v1/jobs/${q(id)}/batches/${b.index}/abort`, { error: "aborted in the console" }), true) : null))),
        "No batch yet."),
      batches.next_cursor ? h("p", { class: "muted" }, `The first 100 batches${later.length ? ", then the open ones" : ""}.`) : null),
    h("section", { id: "deliveries" }, h("h2", {}, "Callbacks"),
      await callbacks(await get(`/v1/deliveries?subject_id=${q(id)}&subject_kind=job&limit=50`))),
  ];
}

// A page of a list, and a link to the next: ``list`` is the page's own path and query without the cursor.
function nextLink(list, page) {
  if (!page.next_cursor) return null;
  const sep = list.includes("?") ? "&" : "?";
  return h("p", {}, h("a", { href: `${list}${sep}cursor=${q(page.next_cursor)}`, class: "next" }, "Next page →"));
}

function tabs(path, values, current) {
  return h("p", {}, values.map((v) =>
    h("a", { href: `${path}?status=${v}`, class: v === current ? "tab current" : "tab" }, v)));
}

// The list's status from the page's query: one of ``values`` (the first by default); another is not a page.
function wantedOf(params, values) {
  const wanted = params.get("status") || values[0];
  if (!values.includes(wanted)) throw new ApiError(404, { detail: `No list of status ${wanted}.` });
  return wanted;
}

const cursorOf = (params) => (params.get("cursor") ? `&cursor=${q(params.get("cursor"))}` : "");

// A list page: the API's list ``api`` of one status (``?status=``, one of ``states``), 100 a page, with a tab
// per status and a next-page link. Of a status in ``ended`` it asks the latest first (``?order=<order>``);
// ``body(items, latest)`` draws the items.
async function listPage(params, { name, ui, api, states, ended = [], order = null, body }) {
  const wanted = wantedOf(params, states);
  const latest = order !== null && ended.includes(wanted);
  const page = await get(`${api}?status=${q(wanted)}${latest ? `&order=${order}` : ""}&limit=100${cursorOf(params)}`);
  return [
    h("h1", {}, `${name}: ${wanted}`),
    tabs(ui, states, wanted),
    h("section", { id: ui.slice("/ui/".length) }, await body(page.items, latest)),
    nextLink(`${ui}?status=${q(wanted)}`, page),
  ];
}

const deliveriesPage = (params) => listPage(params, {
  name: "Deliveries", ui: "/ui/deliveries", api: "/v1/deliveries", states: ["dead", "pending", "delivering", "succeeded"],
  body: (items) => deliveryTable(items),
});

// Gathers of one status: the open ones in id order, the ended ones the latest first.
const ENDED_GATHERS = ["succeeded", "completed", "failed", "timed_out", "cancelled"];
const gathersPage = (params) => listPage(params, {
  name: "Gathers", ui: "/ui/gathers", api: "/v1/gathers", states: ["waiting", ...ENDED_GATHERS],
  ended: ENDED_GATHERS, order: "-resolved_at",
  body: (items, latest) => table(["gather", "status", "progress", "failures", latest ? "ended" : "deadline"], items.map((g) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/gathers/${q(g.id)}` }, g.id)), h("td", {}, status(g.status)),
      h("td", {}, bar(g.done, g.total)), h("td", {}, `${g.failed} failed`),
      h("td", {}, when(latest ? g.resolved_at : g.deadline_at)))), "None."),
});

// Runs of one status: the open ones in id order, the ended ones the latest first.
const ENDED_RUNS = ["succeeded", "failed", "timed_out", "cancelled"];
const runsPage = (params) => listPage(params, {
  name: "Runs", ui: "/ui/runs", api: "/v1/runs", states: ["running", "paused", ...ENDED_RUNS],
  ended: ENDED_RUNS, order: "-finished_at",
  body: (items) => table(["run", "workflow", "status", "started", "finished"], items.map((r) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/runs/${q(r.id)}` }, r.id)), h("td", {}, r.workflow),
      h("td", {}, status(r.status)), h("td", {}, when(r.created_at)), h("td", {}, when(r.finished_at)))), "None."),
});

// Waits of one status, oldest first.
const waitsPage = (params) => listPage(params, {
  name: "Waits", ui: "/ui/waits", api: "/v1/waits", states: ["waiting", "resolved", "cancelled"],
  body: (items) => table(["wait", "group", "status", "participants", "deadline", "ended"], items.map((w) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/waits/-/${q(w.id)}` }, w.id)), h("td", {}, w.group_key),
      h("td", {}, status(w.status)), h("td", {}, bar(w.participant_count, w.expected)),
      h("td", {}, when(w.deadline_at)), h("td", {}, when(w.resolved_at)))), "None."),
});

// Batch jobs of one status, in id order.
const batchJobsPage = (params) => listPage(params, {
  name: "Batch jobs", ui: "/ui/batch-jobs", api: "/v1/batch-jobs",
  states: ["pending", "running", "succeeded", "failed", "cancelled", "timed_out"],
  body: (items) => table(["batch job", "status", "items done", "batches open / all", "finished"], items.map((j) =>
    h("tr", {}, h("td", {}, h("a", { href: `/ui/batch-jobs/${q(j.id)}` }, j.id)), h("td", {}, status(j.status)),
      h("td", {}, batchBar(j.batches)), h("td", {}, j.batches ? `${j.batches.batches.open} / ${j.batches.batches.total}` : "—"),
      h("td", {}, when(j.finished_at)))), "None."),
});

async function waitPage(group) {
  // "-/<id>" is a wait by its id (a callback names its wait so); otherwise a group's open or latest wait
  const base = group.startsWith("-/") ? `/v1/waits/-/${q(group.slice(2))}` : `/v1/waits/${q(group)}`;
  const wait = await get(base);
  const deliveries = await get(`/v1/deliveries?subject_kind=wait&subject_id=${q(wait.id)}&limit=50`);
  const groupBase = `/v1/waits/${q(wait.group_key)}`;
  const missing = Math.max(0, wait.expected - wait.participant_count);
  const counted = `${wait.participant_count} of ${wait.expected} participants`;
  const timedOut = wait.reason === "timeout"; // fired when its time ran out; still open when it fires again at quorum
  const why = {
    waiting: timedOut
      ? `Its time ran out with ${counted} (it fired then); it stays open and fires again when ${missing} more join.`
      : `It waits for ${missing} more of ${wait.expected} participants${wait.deadline_at ? `, until ${when(wait.deadline_at)}` : ""}.`,
    resolved: `It fired ${wait.reason === "quorum" ? "when the quorum came" : "when its time ran out"}, with ${counted}` +
      (wait.reason === "quorum" && wait.timed_out_at ? `; it had fired before, when its time ran out (${when(wait.timed_out_at)}).` : "."),
    cancelled: `It was cancelled${timedOut ? " after its time ran out (it fired then)" : ""}, with ${counted}.`,
  }[wait.status] || `It is ${wait.status}.`;
  return [
    h("h1", {}, "Wait ", h("code", {}, wait.group_key), " ", status(wait.status)),
    h("section", {}, facts([
      ["id", h("code", {}, wait.id)],
      ["participants", bar(wait.participant_count, wait.expected)],
      ["opened / last join", `${when(wait.created_at)} / ${when(wait.last_added_at)}`],
      ["deadline", when(wait.deadline_at)],
      wait.timed_out_at ? ["timed out", when(wait.timed_out_at)] : null,
      ["ended", when(wait.resolved_at)],
      ["reason", wait.reason || "—"],
    ]), wait.status === "waiting"
      ? action("Cancel wait", () => api("DELETE", `${groupBase}?wait_id=${q(wait.id)}`), true) : null),
    h("section", { class: "explain", id: "explain" }, h("h2", {}, "Why"), h("p", {}, why)),
    h("section", { id: "deliveries" }, h("h2", {}, "Callbacks"), await callbacks(deliveries)),
    h("section", {}, h("h2", {}, wait.participants.length < wait.participant_count
      ? `Participants (the first ${wait.participants.length} of ${wait.participant_count})` : "Participants"),
      h("ul", {}, wait.participants.map((p) => h("li", {}, h("code", {}, p))))),
  ];
}

async function runPage(id) {
  const base = `/v1/runs/${q(id)}`;
  const [run, history, explain, deliveries] = await Promise.all([
    get(base),
    get(`${base}/events?order=-id&limit=100`),
    get(`${base}/explain`),
    get(`/v1/deliveries?subject_kind=run&subject_id=${q(id)}&limit=50`),
  ]);
  const version = await get(`/v1/workflows/${q(run.workflow)}/versions/${run.version}`);
  const open = ["running", "paused"].includes(run.status);
  return [
    h("h1", {}, "Run ", h("code", {}, run.id), " ", status(run.status)),
    h("section", {}, facts([
      ["workflow", `${run.workflow} v${run.version}`],
      ["current phase", run.current_phase || "—"],
      ["redrives", run.redrive_count],
      ["started / finished", `${when(run.created_at)} / ${when(run.finished_at)}`],
      run.deadline_at ? ["deadline", when(run.deadline_at)] : null,
      run.paused_at ? ["paused since", when(run.paused_at)] : null,
      ["input", json(run.input)],
      ["output", json(run.output)],
      ["error", run.error ? words(run.error) : "—"],
    ]),
    run.status === "running" ? action("Pause", () => api("POST", `${base}/pause`)) : null,
    run.status === "paused" ? action("Resume", () => api("POST", `${base}/resume`)) : null,
    open ? action("Cancel run", () => api("POST", `${base}/cancel`, {}), true) : null,
    ["failed", "timed_out", "cancelled"].includes(run.status) ? action("Redrive", () => api("POST", `${base}/redrive`)) : null),
    h("section", { class: "explain", id: "explain" }, h("h2", {}, "Why"), explainRun(explain)),
    h("section", { id: "graph" }, h("h2", {}, "Steps"), graph(run, version.graph, open)),
    h("section", { id: "deliveries" }, h("h2", {}, "Callbacks"), await callbacks(deliveries)),
    h("section", { id: "history" }, h("h2", {}, history.next_cursor ? "History (the latest 100 events, newest first)" : "History (newest first)"),
      table(["#", "at", "event", "step", "item", "attempt", "job", "data"], history.items.map((e) =>
        h("tr", {}, h("td", {}, e.id), h("td", {}, when(e.at)), h("td", {}, e.type), h("td", {}, e.step || ""),
          h("td", {}, e.index ?? ""), h("td", {}, e.attempt ?? ""), h("td", {}, e.job_id ? h("code", {}, e.job_id) : ""),
          h("td", {}, e.data ? JSON.stringify(e.data) : ""))),
        "Nothing yet.")),
  ];
}

const BLOCKERS = {
  paused: () => "It is paused.",
  dependencies: (b) => `Step ${b.step} waits for ${(b.waiting_for || [])
    .map((d) => `${d.step} (${d.total ? `${d.done} of ${d.total} done` : "not started"})`).join(", ")}.`,
  in_flight: (b) => `Step ${b.step} waits for its handler: ${(b.job_ids || []).slice(0, 5).join(", ")}${(b.job_ids || []).length > 5 ? ", …" : ""}.`,
  concurrency: (b) => (b.batch_size
    ? `Step ${b.step} waits for room for a whole message of ${b.batch_size} (${b.in_flight} in flight, limit ${b.limit}).`
    : `Step ${b.step} is at its concurrency limit (${b.in_flight} in flight, limit ${b.limit}).`),
  throttled: (b) => `Step ${b.step} waits for throttle ${b.key} (${b.in_flight} in flight, limit ${b.limit}` +
    `${(b.holders || []).length ? `; held by ${b.holders.slice(0, 5).map((x) => x.job_id).join(", ")}` : ""}).`,
  retry_scheduled: (b) => `Step ${b.step}, item ${b.index}: attempt ${b.attempt} at ${when(b.at)}` +
    (b.last_error ? ` (the last failed: ${words(b.last_error)}).` : "."),
  dispatch_failing: (b) => `Step ${b.step}: its task messages fail to be delivered (last status ${b.last_status ?? "none"}, next try ${when(b.next_attempt_at)}); see the pending deliveries.`,
  handler_unavailable: (b) => `Step ${b.step}: handler ${b.handler} is not registered.`,
};

const RUN_ENDS = { succeeded: "It succeeded.", failed: "It failed.", timed_out: "It timed out.", cancelled: "It was cancelled." };
const SHOWN_RETRIES = 5; // scheduled retries named one by one, per step

function explainRun(explain) {
  if (!["running", "paused"].includes(explain.status)) return h("p", {}, RUN_ENDS[explain.status] || `It is ${explain.status}.`);
  if (!explain.blockers.length) return h("p", {}, "Nothing holds it: its next step is being sent.");
  const retries = {};
  const lines = [];
  for (const b of explain.blockers) {
    if (b.reason === "retry_scheduled" && (retries[b.step] = (retries[b.step] || 0) + 1) > SHOWN_RETRIES) continue;
    lines.push((BLOCKERS[b.reason] || (() => JSON.stringify(b)))(b));
  }
  for (const [step, n] of Object.entries(retries)) {
    if (n > SHOWN_RETRIES) lines.push(`Step ${step}: ${n >= 100 ? "more" : n - SHOWN_RETRIES} more retries scheduled.`);
  }
  return lines.map((line) => h("p", {}, line));
}

// A run's steps in columns by depth (a DAG: after the steps it depends on; phases: in their order), each
// with its state, its items and what it follows.
function graph(run, shape, open) {
  const defs = Object.fromEntries((shape.steps || []).map((s) => [s.name, s]));
  const depth = {};
  const depthOf = (name, seen = new Set()) => {
    if (depth[name] !== undefined) return depth[name];
    if (seen.has(name)) return 0;
    seen.add(name);
    const deps = (defs[name] && defs[name].depends_on) || [];
    depth[name] = deps.length ? 1 + Math.max(...deps.map((d) => depthOf(d, seen))) : 0;
    return depth[name];
  };
  const phases = shape.steps && shape.steps.some((s) => s.on_success !== undefined && s.on_success !== null);
  // Phases: a column per transition from the initial one (a phase's success and error ways stand in one column,
  // one above the other, as the alternatives they are); a phase no transition reaches comes last.
  const hops = {};
  const entry = (shape.entry && shape.entry[0]) || (shape.steps.length ? shape.steps[0].name : null);
  if (phases && entry && defs[entry]) {
    const queue = [entry];
    hops[queue[0]] = 0;
    while (queue.length) {
      const name = queue.shift();
      for (const next of [defs[name].on_success, defs[name].on_error]) {
        if (next && defs[next] && hops[next] === undefined) {
          hops[next] = hops[name] + 1;
          queue.push(next);
        }
      }
    }
  }
  const last = Math.max(0, ...Object.values(hops)) + 1;
  const columns = [];
  run.steps.forEach((step) => {
    const column = phases ? (hops[step.name] ?? last) : depthOf(step.name);
    (columns[column] = columns[column] || []).push(step);
  });
  return h("div", { class: "graph steps" }, columns.filter(Boolean).map((column, k) => [
    k ? h("div", { class: "arrow" }, "→") : null,
    h("div", { class: "column" }, column.map((s) => {
      const def = defs[s.name] || {};
      const after = def.depends_on && def.depends_on.length ? `after ${def.depends_on.join(", ")}` :
        def.on_success ? `then ${def.on_success}${def.on_error ? `, on error ${def.on_error}` : ""}` : "";
      const finished = s.items.succeeded + s.items.failed + s.items.cancelled;
      const state = !open && s.status === "waiting" ? "not-run" : s.status; // the run ended before it started
      return h("div", { class: `node node-${state}`, "data-step": s.name },
        h("div", { class: "name" }, s.name, " ", h("span", { class: "muted" }, s.kind)),
        state === "not-run" ? h("span", { class: "status status-not-run", "data-status": "not-run" }, "not run") : status(s.status),
        h("div", {}, bar(finished, s.items.total)),
        h("div", { class: "muted" },
          [`${s.items.in_flight} in flight`, `${s.items.waiting + s.items.ready} waiting`,
            s.items.throttled ? `${s.items.throttled} throttled` : null,
            s.items.retry_scheduled ? `${s.items.retry_scheduled} to retry` : null, `${s.items.failed} failed`,
            s.items.cancelled ? `${s.items.cancelled} cancelled` : null]
            .filter(Boolean).join(", ")),
        after ? h("div", { class: "deps" }, after) : null);
    })),
  ]));
}

// ---- throughput from /metrics

function metric(text, name) {
  let total = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith(name) && (line[name.length] === "{" || line[name.length] === " ")) {
      total += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
    }
  }
  return total;
}

async function sample() {
  try {
    const response = await fetch("/metrics", { signal: AbortSignal.timeout(TIMEOUT_MS) });
    if (!response.ok) return;
    const text = await response.text();
    samples.push([performance.now() / 1000, metric(text, "rendezvous_reports_total"),
      metric(text, "rendezvous_resolutions_total"), metric(text, "rendezvous_delivery_attempts_total")]);
    while (samples.length > SPARK_POINTS + 1) samples.shift();
  } catch {
    // a scrape that fails leaves a gap
  }
}

function sparks() {
  const names = ["reports/s", "resolutions/s", "callback attempts/s"];
  return h("div", { class: "graph" }, names.map((name, i) => {
    const rates = [];
    for (let k = 1; k < samples.length; k++) {
      const dt = samples[k][0] - samples[k - 1][0];
      // a counter that went down is another process behind a balancer, or a restart: no rate for it
      rates.push(dt > 0 ? Math.max(0, samples[k][i + 1] - samples[k - 1][i + 1]) / dt : 0);
    }
    const top = Math.max(1, ...rates);
    const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
    svg.setAttribute("width", "180");
    svg.setAttribute("height", "36");
    const line = document.createElementNS("http://www.w3.org/2000/svg", "polyline");
    line.setAttribute("fill", "none");
    line.setAttribute("stroke", "#2563eb");
    line.setAttribute("points", rates.map((r, k) => `${(k * 180) / SPARK_POINTS},${34 - (r / top) * 32}`).join(" "));
    svg.append(line);
    const last = rates.length ? rates[rates.length - 1].toFixed(1) : "—";
    return h("div", { class: "node" }, h("div", { class: "name" }, name), svg, h("div", { class: "muted" }, `now ${last}`));
  }));
}

// ---- the key and the router

function login(message) {
  asking = true;
  clearTimeout(timer);
  if (stream) stream.abort();
  stream = null;
  const input = h("input", { type: "password", name: "key", placeholder: "rdv_…", autocomplete: "off" });
  const form = h("form", { class: "login" }, input, h("button", { type: "submit" }, "Use this key"));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY, input.value.trim());
    start();
  });
  main.replaceChildren(h("h1", {}, "API key"), h("p", {}, message), form);
  document.title = "API key · Rendezvous";
}

// The page's path below /ui/, decoded, without a trailing slash ("" for the overview).
function here() {
  const path = location.pathname.replace(/^\/ui\/?/, "").replace(/\/$/, "");
  try {
    return decodeURIComponent(path);
  } catch {
    return `?${path}`; // not a path this console makes: "Not found"
  }
}

async function page() {
  const path = here();
  const params = new URLSearchParams(location.search);
  if (path === "") return overview();
  if (path.startsWith("gathers/")) return gatherPage(path.slice("gathers/".length));
  if (path.startsWith("waits/")) return waitPage(path.slice("waits/".length));
  if (path.startsWith("runs/")) return runPage(path.slice("runs/".length));
  if (path.startsWith("batch-jobs/")) return batchJobPage(path.slice("batch-jobs/".length));
  if (path === "deliveries") return deliveriesPage(params);
  if (path === "gathers") return gathersPage(params);
  if (path === "runs") return runsPage(params);
  if (path === "waits") return waitsPage(params);
  if (path === "batch-jobs") return batchJobsPage(params);
  throw new ApiError(404, { detail: "No such page in the console." });
}

// Show a page's parts, replacing only those that changed since the last draw, so a refresh that finds the
// same data leaves the page as it is (a selection, a link under the pointer, a confirmation's button).
function show(parts) {
  const shown = Array.from(main.children);
  if (shown.length === parts.length && shown.every((el, i) => el.tagName === parts[i].tagName)) {
    parts.forEach((part, i) => { if (shown[i].outerHTML !== part.outerHTML) shown[i].replaceWith(part); });
  } else {
    main.replaceChildren(...parts);
  }
  const title = main.querySelector("h1");
  document.title = title ? `${title.textContent} · Rendezvous` : "Rendezvous";
}

// Draw the page now; the next refresh is scheduled once this one is shown (never two at a time), and waits
// while the tab is hidden; every FOLLOWING_MS while a stream follows the page. A page that is not found, or
// a key refused, stops the refreshing. While an action runs the draw waits for it (the action draws after).
async function draw() {
  clearTimeout(timer);
  if (asking) return;
  if (acting) {
    timer = setTimeout(refresh, REFRESH_MS);
    return;
  }
  const mine = ++generation;
  let again = true;
  try {
    const [, content] = await Promise.all([here() === "" ? sample() : null, page()]);
    if (mine !== generation || asking) return;
    if (acting) {
      timer = setTimeout(refresh, REFRESH_MS);
      return;
    }
    show([notice ? h("p", { class: "error", id: "notice" }, notice) : null, ...content].filter(Boolean));
  } catch (error) {
    if (mine !== generation || asking) return;
    if (error instanceof ApiError && error.status === 401) {
      login("This server needs an API key; the console acts as that key, in its namespace.");
      return;
    }
    again = !(error instanceof ApiError && error.status === 404);
    show([h("h1", {}, error.status === 404 ? "Not found" : "Error"), h("p", { class: "error" }, error.message),
      h("p", {}, h("a", { href: "/ui" }, "Overview"))]);
  }
  if (again) timer = setTimeout(refresh, following() ? FOLLOWING_MS : REFRESH_MS);
}

const following = () => stream !== null && !stream.signal.aborted && document.body.dataset.live === "events";

// The watch of the page's subject, if it has one: /v1/watch sends ``change`` at once and whenever the subject
// moves (a report, a resolution, a callback's attempt), and the page is drawn again each time.
function watched() {
  const path = here();
  const subjects = [["gathers/", "gather"], ["runs/", "run"], ["waits/", "wait"], ["batch-jobs/", "batch_job"]];
  for (const [prefix, name] of subjects) {
    if (path.startsWith(prefix) && !path.startsWith("waits/-/")) return `/v1/watch?${name}=${q(path.slice(prefix.length))}`;
  }
  return null;
}

// The stream's events, by the server-sent events format: fields by line (LF, CR or CRLF), an event ends at a
// blank line; ``change`` redraws the page. The page counts as followed from its first event.
async function follow(path) {
  if (stream) stream.abort();
  const controller = new AbortController();
  stream = controller;
  try {
    const headers = { Accept: "text/event-stream" };
    const key = sessionStorage.getItem(KEY);
    if (key) headers.Authorization = `Bearer ${key}`;
    const response = await fetch(path, { headers, signal: controller.signal });
    if (!response.ok || !response.body) throw new ApiError(response.status, null);
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    let type = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      const lines = buffer.split(/\r\n|\r|\n/);
      buffer = lines.pop(); // the part of a line still to come (a lone CR may yet be a CRLF: harmless here)
      for (const line of lines) {
        if (line === "") {
          if (type === "change" && stream === controller) {
            document.body.dataset.live = "events";
            await draw();
          }
          type = "";
        } else if (line.startsWith("event:")) {
          type = line.slice(6).trim();
        }
      }
    }
    // The server ends a stream after a while: connect again, not at once.
    if (stream === controller) setTimeout(() => { if (stream === controller) follow(path); }, RECONNECT_MS);
  } catch (error) {
    if (controller.signal.aborted || stream !== controller) return;
    document.body.dataset.live = "polling"; // no stream (or it broke): refresh every REFRESH_MS instead
    const gone = error instanceof ApiError && [401, 403, 404].includes(error.status);
    if (!gone) setTimeout(() => { if (stream === controller) follow(path); }, RETRY_STREAM_MS); // try again later
    await draw();
  }
}

function refresh() {
  if (document.hidden) timer = setTimeout(refresh, REFRESH_MS);
  else draw();
}

async function start() {
  clearTimeout(timer);
  asking = false;
  try {
    caller = await get("/v1/caller");
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      login(sessionStorage.getItem(KEY) ? "That key was refused." : "This server needs an API key.");
      return;
    }
    const key = sessionStorage.getItem(KEY);
    if (key && !/^[\x21-\x7e]+$/.test(key)) {
      sessionStorage.removeItem(KEY); // a key no request can carry (a character a header cannot hold)
      login("That key cannot be used.");
      return;
    }
    if (error instanceof ApiError && error.status !== 429 && error.status < 500) {
      main.replaceChildren(h("p", { class: "error" }, error.message));
      return;
    }
    main.replaceChildren(h("p", { class: "error" }, `The server cannot answer (${error.message}); trying again.`));
    timer = setTimeout(start, REFRESH_MS);
    return;
  }
  const who = document.getElementById("who");
  const change = h("a", { href: "#", id: "change-key" }, "change key");
  change.addEventListener("click", (event) => {
    event.preventDefault();
    generation++;
    login("The console acts as this key, in its namespace.");
  });
  who.replaceChildren(`${caller.namespace} · ${caller.role}${caller.dev ? " · dev mode" : ""} · `, change);
  await draw();
  const subject = watched();
  if (subject) follow(subject); // and again on each of its events
}

start();
