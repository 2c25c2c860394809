import Foundation
import GatewayCore

/// The kiosk page and the technician page, served by `KioskService`: plain HTML, CSS and a
/// little JavaScript, nothing loaded from anywhere else (a kiosk may have no internet). Laid out
/// for an 800×480 touchscreen and readable from arm's length; larger screens get more room.
///
/// The page renders `KioskState` documents: the first from `GET /api/state`, then each
/// server-sent `state` event on `/events`. EventSource reconnects by itself (the server asks
/// for 1 s), so the page lives through gatewayd restarting; a banner says when it is not live.
/// All text from the terminal or the case server is put in with `textContent`, never as HTML.
///
/// Every word comes from the page's language's catalogue (`KioskCatalogs`): `{{key}}` in the
/// HTML is replaced by the catalogue's string, HTML-escaped, when the page is made
/// (`render`); the script takes its words from the same catalogue, given to the page as JSON
/// (`T("key", {name: value})`), and writes times in the language's convention.
///
/// A case handler's unanswered question or instruction to this terminal (`CaseMessage`, in the
/// followed case) takes the scan's place on the left, with an answer button per choice (at
/// least 56 px high: a finger, not a mouse), a field for an answer in the person's own words
/// where the question allows it, or "OK" for an instruction. A tap posts to `/api/reply`.
enum KioskPage {
    /// `template` with every `{{key}}` replaced by the catalogue's string (HTML-escaped),
    /// `{{lang}}` by the language's tag, `{{locale}}` by the locale times are written in, and
    /// `{{words}}` by the whole catalogue as JSON for the script.
    static func render(_ template: String, language: UILanguage) -> String {
        let catalog = KioskCatalogs.catalog(language)
        var out = ""
        var rest = template[...]
        while let open = rest.range(of: "{{") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].range(of: "}}") else {
                rest = rest[open.lowerBound...]
                break
            }
            let key = String(rest[open.upperBound..<close.lowerBound])
            switch key {
            case "lang": out += language.rawValue
            case "locale": out += locale(language)
            case "words": out += wordsJSON(catalog)
            default: out += escape(catalog[key])
            }
            rest = rest[close.upperBound...]
        }
        out += rest
        return out
    }

    /// The BCP 47 tag of the language's locale, for the script's `Intl` ("en-GB", "zh-Hans-CN").
    static func locale(_ language: UILanguage) -> String {
        language.locale.identifier.replacingOccurrences(of: "_", with: "-")
    }

    /// The catalogue as a JSON object of dotted keys, safe inside a `<script>` element (no `<`).
    static func wordsJSON(_ catalog: MessageCatalog) -> String {
        let e = JSONEncoder()
        e.outputFormatting = [.sortedKeys]
        let json = (try? e.encode(catalog.strings)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return json.replacingOccurrences(of: "<", with: "\\u003c")
    }

    static func escape(_ s: String) -> String { MarkupText.escape(s) }

    static let kiosk = #"""
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{page.title}}</title>
        <style>
        :root { --bg:#0f1720; --card:#18222e; --line:#2a3848; --text:#eef3f8; --dim:#9fb0c2; --ok:#2fbf71; --warn:#f0b429; --bad:#ef5350; --info:#4aa3ff; }
        * { box-sizing: border-box; }
        html, body { margin:0; height:100%; background:var(--bg); color:var(--text); font: 16px/1.3 system-ui, "DejaVu Sans", "Noto Sans CJK SC", sans-serif; }
        body { display:flex; flex-direction:column; min-height:480px; }
        header { display:flex; gap:8px; align-items:center; padding:6px 10px; border-bottom:1px solid var(--line); font-size:14px; flex-wrap:wrap; }
        header .device { font-weight:700; margin-right:auto; }
        .chip { padding:2px 8px; border-radius:10px; background:var(--card); color:var(--dim); white-space:nowrap; }
        .chip.ok { color:var(--ok); } .chip.warn { color:var(--warn); } .chip.bad { color:var(--bad); }
        #banner { display:none; background:var(--warn); color:#111; text-align:center; font-weight:700; padding:4px; }
        #banner.show { display:block; }
        main { flex:1; display:grid; grid-template-columns: 58% 42%; gap:8px; padding:8px; min-height:0; }
        .card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px; overflow:hidden; }
        #current .subject { font-size:30px; font-weight:700; word-break:break-all; }
        #current .meta { color:var(--dim); font-size:14px; margin:2px 0 6px; }
        .state { display:inline-block; padding:2px 10px; border-radius:12px; font-weight:700; font-size:15px; }
        .state.spooled { background:#3a3f48; } .state.sent { background:var(--info); color:#05111f; }
        .state.accepted { background:var(--ok); color:#04140b; } .state.dead_lettered { background:var(--bad); }
        #guidance h2 { font-size:22px; margin:8px 0 4px; }
        #guidance p { margin:0 0 6px; font-size:17px; }
        #guidance ol { margin:0; padding-left:22px; font-size:17px; }
        #guidance li { margin:2px 0; }
        #guidance .how { color:var(--dim); font-size:12px; }
        .side { display:flex; flex-direction:column; gap:8px; min-height:0; }
        #case h3, #recent h3 { margin:0 0 6px; font-size:15px; color:var(--dim); font-weight:600; }
        #case .ref { font-size:18px; font-weight:700; }
        #case .cstate { font-size:17px; margin:2px 0 6px; }
        #insurers { list-style:none; padding:0; margin:0 0 6px; }
        #insurers li { display:flex; justify-content:space-between; gap:6px; padding:3px 0; border-bottom:1px solid var(--line); font-size:15px; }
        #insurers .istate { font-weight:700; color:var(--info); }
        #notes { list-style:none; padding:0; margin:0; font-size:13px; color:var(--dim); }
        #recent { flex:1; min-height:0; }
        #recent table { width:100%; border-collapse:collapse; font-size:13px; }
        #recent td { padding:2px 4px; border-bottom:1px solid var(--line); white-space:nowrap; overflow:hidden; text-overflow:ellipsis; max-width:120px; }
        .idle { font-size:26px; color:var(--dim); text-align:center; margin-top:60px; }
        #ask { border:2px solid var(--warn); display:flex; flex-direction:column; gap:8px; }
        #ask .from { color:var(--warn); font-size:14px; font-weight:700; }
        #ask .qtext { font-size:24px; font-weight:700; line-height:1.25; }
        #choices { display:grid; grid-template-columns:1fr 1fr; gap:8px; }
        #ask button { min-height:56px; font-size:20px; font-weight:700; border:0; border-radius:8px; background:var(--info); color:#05111f; padding:6px 10px; font-family:inherit; }
        #ask button:disabled { opacity:.5; }
        #ask .own { display:flex; gap:8px; }
        #ask .own input { flex:1; min-height:56px; font-size:20px; border-radius:8px; border:1px solid var(--line); background:#0b1118; color:var(--text); padding:0 10px; font-family:inherit; }
        #ask .hint { color:var(--dim); font-size:14px; }
        #ask .error { color:var(--bad); font-size:15px; }
        #messages { list-style:none; padding:0; margin:4px 0 0; font-size:13px; }
        #messages li { padding:2px 0; border-top:1px solid var(--line); }
        #messages .mstate { font-weight:700; }
        #messages .mstate.waiting { color:var(--warn); } #messages .mstate.done { color:var(--ok); }
        /* Over any display an element's own rule gives it (#ask is a flex box). */
        .hidden { display:none !important; }
        footer { padding:2px 10px; font-size:11px; color:var(--dim); }
        footer a { color:var(--dim); }
        </style>
        </head>
        <body>
        <header>
          <span class="device" id="device">gatewayd</span>
          <span class="chip" id="readers">{{chips.readers_label}}</span>
          <span class="chip" id="gps">{{chips.gps_label}}</span>
          <span class="chip" id="operator">{{chips.operator_label}}</span>
          <span class="chip" id="spool">{{chips.spool_label}}</span>
          <span class="chip" id="live">{{chips.connecting}}</span>
        </header>
        <div id="banner">{{page.not_connected}}</div>
        <main>
          <section class="card hidden" id="ask" aria-live="assertive">
            <div class="from" id="askfrom"></div>
            <div class="qtext" id="asktext"></div>
            <div id="choices"></div>
            <form class="own hidden" id="own"><input id="owntext" maxlength="500" placeholder="{{ask.own_words}}" autocomplete="off"><button type="submit" id="ownsend">{{ask.send}}</button></form>
            <div class="error hidden" id="askerror"></div>
            <div class="hint" id="askmore"></div>
          </section>
          <section class="card" id="current">
            <div class="idle" id="idle">{{page.idle}}</div>
            <div id="scan" class="hidden">
              <div class="subject" id="subject"></div>
              <div class="meta" id="scanmeta"></div>
              <span class="state" id="delivery"></span> <span class="meta" id="reason"></span>
              <div id="guidance" class="hidden">
                <h2 id="gtitle"></h2>
                <p id="gtext"></p>
                <ol id="gsteps"></ol>
                <div class="how" id="ghow"></div>
              </div>
            </div>
          </section>
          <div class="side">
            <section class="card hidden" id="case">
              <h3>{{case.heading}}</h3>
              <div class="ref" id="caseref"></div>
              <div class="cstate" id="casestate"></div>
              <ul id="insurers"></ul>
              <ul id="messages"></ul>
              <ul id="notes"></ul>
            </section>
            <section class="card" id="recent">
              <h3>{{case.recent_heading}}</h3>
              <table><tbody id="recentrows"></tbody></table>
            </section>
          </div>
        </main>
        <footer>{{page.footer}} <a href="/technician">{{page.technician_link}}</a></footer>
        <script type="application/json" id="words">{{words}}</script>
        <script>
        "use strict";
        const $ = id => document.getElementById(id);
        const W = JSON.parse($("words").textContent);
        const LOCALE = "{{locale}}";
        // The catalogue's string for a key, with {name} placeholders filled.
        function T(key, values) {
          let s = W[key] !== undefined ? W[key] : key;
          for (const n in (values || {})) s = s.split("{" + n + "}").join(String(values[n]));
          return s;
        }
        const words = s => (s || "").replace(/_/g, " ");
        // A word of the server's (a state): the catalogue's, or as sent.
        const TS = (table, v) => W[table + "." + v] !== undefined ? W[table + "." + v] : words(v);
        // A note the server wrote itself (it names the note's form) in the page's words; what a
        // person wrote as they wrote it.
        const noteText = n => n.form && W["note." + n.form] !== undefined ? T("note." + n.form, n.args) : n.text;
        function text(id, s) { $(id).textContent = s == null ? "" : String(s); }
        function show(id, on) { $(id).classList.toggle("hidden", !on); }
        function chip(id, label, cls) { const e = $(id); e.textContent = label; e.className = "chip " + (cls || ""); }
        function short(id) { return id.length > 16 ? id.slice(0, 14) + "…" : id; }
        function time(iso) { const d = new Date(iso); return isNaN(d) ? iso : d.toLocaleTimeString(LOCALE, {hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false}); }
        const deliveryWords = {}; for (const k of ["spooled", "sent", "accepted", "dead_lettered"]) deliveryWords[k] = T("delivery." + k);
        const classWords = {}; for (const k of ["subject", "operator", "config", "unknown"]) classWords[k] = T("class." + k);

        function render(s) {
          window.lastState = s;
          text("device", s.device);
          const open = s.readers.filter(r => / open/.test(r)).length;
          // A reader sending what cannot be a label says so: "id: open — flooding: …; noisy: …".
          const noisy = s.readers.filter(r => / — (flooding|flooded|noisy)/.test(r)).map(r => T(/ — flooding/.test(r) ? "chips.reader_flooding" : / noisy/.test(r) ? "chips.reader_noisy" : "chips.reader_flooded", {id: r.split(":")[0]}));
          if (noisy.length) chip("readers", T("chips.readers_trouble", {list: noisy.join(", ")}), "warn");
          else chip("readers", T("chips.readers", {open: open, total: s.readers.length}), open === s.readers.length ? "ok" : "warn");
          $("readers").title = s.readers.join("\n");
          const l = s.location;
          if (!l) chip("gps", T("chips.no_gps"));
          else if (l.fix === "none") chip("gps", T("chips.gps_no_fix"), "warn");
          else chip("gps", T("chips.gps", {fix: l.fix.toUpperCase()}) + (l.satellites != null ? T("chips.gps_satellites", {n: l.satellites}) : "") + (l.accuracy_m != null ? T("chips.gps_accuracy", {m: Math.round(l.accuracy_m)}) : ""), "ok");
          const o = s.operator;
          if (!o.tracked) chip("operator", T("chips.no_sessions"));
          else if (o.signed_in) chip("operator", T("chips.operator", {id: short(o.id || T("chips.signed_in"))}) + (o.expires_in_s != null ? T("chips.session_left", {n: Math.ceil(o.expires_in_s / 60)}) : ""), "ok");
          else chip("operator", T("chips.nobody"), "warn");
          chip("spool", T("chips.spool", {n: s.spool.depth}) + (s.spool.dead_letters ? T("chips.refused", {n: s.spool.dead_letters}) : ""), s.spool.circuit === "closed" ? "ok" : "warn");

          const cur = s.scans[0];
          show("idle", !cur); show("scan", !!cur);
          if (cur) {
            text("subject", cur.subject || (cur.misread ? (cur.nfc || /^nfc:/.test(cur.misread) ? T("scan.tag_unreadable") : T("scan.label_unreadable")) : classWords[cur.class] || cur.class));
            text("scanmeta", (classWords[cur.class] || cur.class) + (cur.schema ? " · " + cur.schema : "") + (cur.nfc ? T("scan.nfc", {type: words(cur.nfc)}) : "") + " · " + time(cur.captured_at) + " · " + cur.reader);
            const d = $("delivery"); d.textContent = deliveryWords[cur.delivery] || cur.delivery; d.className = "state " + cur.delivery;
            text("reason", cur.delivery === "accepted" ? "" : cur.reason);
            const g = cur.guidance;
            show("guidance", !!g);
            if (g) {
              text("gtitle", g.title); text("gtext", g.text);
              const ol = $("gsteps"); ol.replaceChildren(...(g.steps || []).map(st => { const li = document.createElement("li"); li.textContent = st; return li; }));
              text("ghow", g.match === "similar" ? T("scan.similar_guidance", {type: g.similar_to}) : "");
            }
          }
          const c = cur && cur.case ? s.cases.find(x => x.ref === cur.case) : s.cases[0];
          show("case", !!c);
          if (c) {
            text("caseref", c.ref + (c.subject ? " · " + c.subject : ""));
            text("casestate", TS("case_state", c.state) + (c.final ? T("case.done") : ""));
            $("insurers").replaceChildren(...c.insurers.map(i => {
              const li = document.createElement("li");
              const n = document.createElement("span"); n.textContent = i.name;
              const st = document.createElement("span"); st.className = "istate"; st.textContent = TS("insurer_state", i.state);
              li.append(n, st); if (i.note) li.title = i.note; return li;
            }));
            if (!c.insurers.length) { const li = document.createElement("li"); li.textContent = T("case.no_insurer"); $("insurers").append(li); }
            $("messages").replaceChildren(...(c.messages || []).slice(-3).map(m => {
              const li = document.createElement("li"); li.dataset.message = m.id;
              const t = document.createElement("span"); t.textContent = m.text + " ";
              const st = document.createElement("span"); const [label, done] = messageState(m);
              st.className = "mstate " + (done ? "done" : "waiting"); st.textContent = label;
              li.append(t, st); return li;
            }));
            $("notes").replaceChildren(...c.notes.slice(-3).reverse().map(n => { const li = document.createElement("li"); li.textContent = time(n.at) + " " + noteText(n); return li; }));
          }
          ask(s);
          $("recentrows").replaceChildren(...s.scans.slice(0, 8).map(r => {
            const tr = document.createElement("tr");
            for (const v of [time(r.captured_at), classWords[r.class] || r.class, r.subject || "—", TS("delivery_short", r.delivery)]) {
              const td = document.createElement("td"); td.textContent = v; tr.append(td);
            }
            tr.dataset.id = r.id; tr.dataset.delivery = r.delivery;
            return tr;
          }));
        }

        // The state of a case message on this page: answered at the server, answered here and
        // on its way, or waiting for the person.
        function localReply(m) { return (window.lastState && window.lastState.replies || []).find(r => r.message === m.id); }
        function messageState(m) {
          const instruction = m.kind === "instruction";
          if (m.answered) return [instruction ? T("ask.acknowledged") : T("ask.answered", {answer: m.answer || ""}), true];
          const r = localReply(m);
          if (r) return [instruction ? T("ask.saved_ack") : T("ask.saved", {answer: r.answer}), true];
          return [T("ask.waiting"), false];
        }

        // The oldest unanswered question or instruction of the shown cases, in the scan's place.
        let asking = null, posting = false;
        function ask(s) {
          const open = [];
          for (const c of s.cases) for (const m of (c.messages || [])) {
            if (!m.answered && !localReply(m) && (m.kind === "question" || m.kind === "instruction")) open.push([c, m]);
          }
          const first = open[0];
          show("ask", !!first); show("current", !first);
          document.body.dataset.asking = first ? first[1].id : "";
          if (!first) { asking = null; return; }
          const [c, m] = first;
          text("askmore", open.length > 1 ? T("ask.more", {n: open.length - 1}) : "");
          if (asking === m.id) return;
          asking = m.id;
          const instruction = m.kind === "instruction";
          text("askfrom", T(instruction ? "ask.instruction_heading" : "ask.question_heading", {ref: c.ref}));
          text("asktext", m.text);
          show("askerror", false);
          const answers = instruction ? [["", T("ask.ok")]] : (m.choices || []).map(x => [x, x]);
          $("choices").replaceChildren(...answers.map(([value, label]) => {
            const b = document.createElement("button"); b.type = "button"; b.textContent = label; b.dataset.answer = value;
            b.onclick = () => reply(c.ref, m.id, value); return b;
          }));
          show("own", !instruction && !!m.free_text);
          $("owntext").value = "";
          $("own").onsubmit = e => { e.preventDefault(); const v = $("owntext").value.trim(); if (v) reply(c.ref, m.id, v); };
        }

        function reply(ref, id, answer) {
          if (posting) return;
          posting = true;
          for (const b of $("ask").querySelectorAll("button")) b.disabled = true;
          text("askmore", T("ask.sending"));
          fetch("/api/reply", {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({case: ref, message: id, answer: answer})})
            .then(r => r.json().then(body => [r.ok, body]))
            .then(([ok, body]) => {
              if (!ok) throw new Error(body.error || "");
              $("owntext").value = "";
              window.lastState.replies = (window.lastState.replies || []).concat([body]);
              asking = null; render(window.lastState);
            })
            .catch(e => { text("askerror", T("ask.failed", {reason: e.message})); show("askerror", true); })
            .finally(() => { posting = false; for (const b of $("ask").querySelectorAll("button")) b.disabled = false; });
        }

        function live(on) {
          chip("live", on ? T("chips.live") : T("chips.reconnecting"), on ? "ok" : "bad");
          $("banner").classList.toggle("show", !on);
          document.body.dataset.live = on ? "1" : "0";
        }

        fetch("/api/state").then(r => r.json()).then(render).catch(() => {});
        const es = new EventSource("/events");
        es.addEventListener("state", e => { live(true); render(JSON.parse(e.data)); });
        es.onopen = () => live(true);
        es.onerror = () => live(false);
        </script>
        </body>
        </html>
        """#

    static let technician = #"""
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{technician.title}}</title>
        <style>
        html, body { margin:0; background:#0f1720; color:#eef3f8; font: 15px/1.35 system-ui, "DejaVu Sans", "Noto Sans CJK SC", sans-serif; }
        header { padding:8px 12px; border-bottom:1px solid #2a3848; display:flex; gap:12px; align-items:center; }
        header h1 { font-size:18px; margin:0; margin-right:auto; }
        button { font-size:16px; padding:6px 14px; border-radius:6px; border:0; background:#4aa3ff; color:#05111f; font-weight:700; }
        a { color:#9fb0c2; }
        #verdict { padding:8px 12px; font-weight:700; font-size:17px; }
        #verdict.ok { color:#2fbf71; } #verdict.fail { color:#ef5350; }
        table { width:100%; border-collapse:collapse; }
        td { padding:4px 12px; border-bottom:1px solid #2a3848; vertical-align:top; }
        td.name { white-space:nowrap; font-weight:600; }
        td.status { font-weight:700; text-transform:uppercase; }
        tr.ok td.status { color:#2fbf71; } tr.warn td.status { color:#f0b429; } tr.fail td.status { color:#ef5350; }
        .lines { color:#9fb0c2; font-size:13px; white-space:pre-wrap; font-family: "DejaVu Sans Mono", monospace; }
        </style>
        </head>
        <body>
        <header><h1>{{technician.heading}}</h1><button id="run">{{technician.run_again}}</button><a href="/">{{technician.kiosk_link}}</a></header>
        <div id="verdict">{{technician.checking}}</div>
        <table><tbody id="checks"></tbody></table>
        <script type="application/json" id="words">{{words}}</script>
        <script>
        "use strict";
        const $ = id => document.getElementById(id);
        const W = JSON.parse($("words").textContent);
        function T(key, values) {
          let s = W[key] !== undefined ? W[key] : key;
          for (const n in (values || {})) s = s.split("{" + n + "}").join(String(values[n]));
          return s;
        }
        function run() {
          $("verdict").textContent = T("technician.checking"); $("verdict").className = "";
          fetch("/api/probe").then(r => r.json()).then(report => {
            $("verdict").textContent = report.ok ? T("technician.ok") : T("technician.failed");
            $("verdict").className = report.ok ? "ok" : "fail";
            $("checks").replaceChildren(...report.checks.map(c => {
              const tr = document.createElement("tr"); tr.className = c.status;
              const name = document.createElement("td"); name.className = "name"; name.textContent = c.name;
              const status = document.createElement("td"); status.className = "status"; status.textContent = W["probe_status." + c.status] || c.status;
              const detail = document.createElement("td"); detail.textContent = c.detail;
              if (c.lines && c.lines.length) { const d = document.createElement("div"); d.className = "lines"; d.textContent = c.lines.join("\n"); detail.append(d); }
              tr.append(name, status, detail); return tr;
            }));
          }).catch(e => { $("verdict").textContent = T("technician.no_answer", {error: e}); $("verdict").className = "fail"; });
        }
        $("run").onclick = run;
        run();
        </script>
        </body>
        </html>
        """#
}
