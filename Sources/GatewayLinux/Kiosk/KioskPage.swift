/// The kiosk page and the technician page, served by `KioskService`: plain HTML, CSS and a
/// little JavaScript, nothing loaded from anywhere else (a kiosk may have no internet). Laid out
/// for an 800×480 touchscreen and readable from arm's length; larger screens get more room.
///
/// The page renders `KioskState` documents: the first from `GET /api/state`, then each
/// server-sent `state` event on `/events`. EventSource reconnects by itself (the server asks
/// for 1 s), so the page lives through gatewayd restarting; a banner says when it is not live.
/// All text from the terminal or the case server is put in with `textContent`, never as HTML.
enum KioskPage {
    static let kiosk = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Report a damaged object</title>
        <style>
        :root { --bg:#0f1720; --card:#18222e; --line:#2a3848; --text:#eef3f8; --dim:#9fb0c2; --ok:#2fbf71; --warn:#f0b429; --bad:#ef5350; --info:#4aa3ff; }
        * { box-sizing: border-box; }
        html, body { margin:0; height:100%; background:var(--bg); color:var(--text); font: 16px/1.3 system-ui, "DejaVu Sans", sans-serif; }
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
        .hidden { display:none; }
        footer { padding:2px 10px; font-size:11px; color:var(--dim); }
        footer a { color:var(--dim); }
        </style>
        </head>
        <body>
        <header>
          <span class="device" id="device">gatewayd</span>
          <span class="chip" id="readers">readers</span>
          <span class="chip" id="gps">GPS</span>
          <span class="chip" id="operator">operator</span>
          <span class="chip" id="spool">spool</span>
          <span class="chip" id="live">connecting…</span>
        </header>
        <div id="banner">Not connected to the terminal — reconnecting…</div>
        <main>
          <section class="card" id="current">
            <div class="idle" id="idle">Scan or tap the object's tag to report damage</div>
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
              <h3>Case</h3>
              <div class="ref" id="caseref"></div>
              <div class="cstate" id="casestate"></div>
              <ul id="insurers"></ul>
              <ul id="notes"></ul>
            </section>
            <section class="card" id="recent">
              <h3>Recent scans</h3>
              <table><tbody id="recentrows"></tbody></table>
            </section>
          </div>
        </main>
        <footer>Personal data is removed on this terminal before anything is sent. <a href="/technician">Technician</a></footer>
        <script>
        "use strict";
        const $ = id => document.getElementById(id);
        const words = s => (s || "").replace(/_/g, " ");
        function text(id, s) { $(id).textContent = s == null ? "" : String(s); }
        function show(id, on) { $(id).classList.toggle("hidden", !on); }
        function chip(id, label, cls) { const e = $(id); e.textContent = label; e.className = "chip " + (cls || ""); }
        function short(id) { return id.length > 16 ? id.slice(0, 14) + "…" : id; }
        function time(iso) { const d = new Date(iso); return isNaN(d) ? iso : d.toLocaleTimeString([], {hour: "2-digit", minute: "2-digit", second: "2-digit"}); }
        const deliveryWords = { spooled: "saved, waiting to send", sent: "sending…", accepted: "received by the case server", dead_lettered: "refused by the case server" };
        const classWords = { subject: "insured object", operator: "operator badge", config: "configuration tag", unknown: "unknown tag" };

        function render(s) {
          window.lastState = s;
          text("device", s.device);
          const open = s.readers.filter(r => / open/.test(r)).length;
          // A reader sending what cannot be a label says so: "id: open — flooding: …; noisy: …".
          const noisy = s.readers.filter(r => / — (flooding|flooded|noisy)/.test(r)).map(r => r.split(":")[0] + (/ — flooding/.test(r) ? " flooding" : / noisy/.test(r) ? " noisy" : " flooded"));
          if (noisy.length) chip("readers", "reader " + noisy.join(", "), "warn");
          else chip("readers", open + "/" + s.readers.length + " readers", open === s.readers.length ? "ok" : "warn");
          $("readers").title = s.readers.join("\n");
          const l = s.location;
          if (!l) chip("gps", "no GPS");
          else if (l.fix === "none") chip("gps", "GPS: no fix", "warn");
          else chip("gps", "GPS " + l.fix.toUpperCase() + (l.satellites != null ? " · " + l.satellites + " sat" : "") + (l.accuracy_m != null ? " · ±" + Math.round(l.accuracy_m) + " m" : ""), "ok");
          const o = s.operator;
          if (!o.tracked) chip("operator", "no operator sessions");
          else if (o.signed_in) chip("operator", "operator " + short(o.id || "signed in") + (o.expires_in_s != null ? " · " + Math.ceil(o.expires_in_s / 60) + " min" : ""), "ok");
          else chip("operator", "nobody signed in", "warn");
          chip("spool", s.spool.depth + " waiting" + (s.spool.dead_letters ? " · " + s.spool.dead_letters + " refused" : ""), s.spool.circuit === "closed" ? "ok" : "warn");

          const cur = s.scans[0];
          show("idle", !cur); show("scan", !!cur);
          if (cur) {
            text("subject", cur.subject || (cur.misread ? (cur.nfc || /^nfc:/.test(cur.misread) ? "tag could not be read: tap again" : "label could not be read") : classWords[cur.class] || cur.class));
            text("scanmeta", (classWords[cur.class] || cur.class) + (cur.schema ? " · " + cur.schema : "") + (cur.nfc ? " · NFC " + words(cur.nfc) : "") + " · " + time(cur.captured_at) + " · " + cur.reader);
            const d = $("delivery"); d.textContent = deliveryWords[cur.delivery] || cur.delivery; d.className = "state " + cur.delivery;
            text("reason", cur.delivery === "accepted" ? "" : cur.reason);
            const g = cur.guidance;
            show("guidance", !!g);
            if (g) {
              text("gtitle", g.title); text("gtext", g.text);
              const ol = $("gsteps"); ol.replaceChildren(...(g.steps || []).map(st => { const li = document.createElement("li"); li.textContent = st; return li; }));
              text("ghow", g.match === "similar" ? "guidance of a similar case (" + g.similar_to + ")" : "");
            }
          }
          const c = cur && cur.case ? s.cases.find(x => x.ref === cur.case) : s.cases[0];
          show("case", !!c);
          if (c) {
            text("caseref", c.ref + (c.subject ? " · " + c.subject : ""));
            text("casestate", words(c.state) + (c.final ? " (done)" : ""));
            $("insurers").replaceChildren(...c.insurers.map(i => {
              const li = document.createElement("li");
              const n = document.createElement("span"); n.textContent = i.name;
              const st = document.createElement("span"); st.className = "istate"; st.textContent = words(i.state);
              li.append(n, st); if (i.note) li.title = i.note; return li;
            }));
            if (!c.insurers.length) { const li = document.createElement("li"); li.textContent = "no insurer on record"; $("insurers").append(li); }
            $("notes").replaceChildren(...c.notes.slice(-3).reverse().map(n => { const li = document.createElement("li"); li.textContent = time(n.at) + " " + n.text; return li; }));
          }
          $("recentrows").replaceChildren(...s.scans.slice(0, 8).map(r => {
            const tr = document.createElement("tr");
            for (const v of [time(r.captured_at), classWords[r.class] || r.class, r.subject || "—", deliveryWords[r.delivery] ? words(r.delivery) : r.delivery]) {
              const td = document.createElement("td"); td.textContent = v; tr.append(td);
            }
            tr.dataset.id = r.id; tr.dataset.delivery = r.delivery;
            return tr;
          }));
        }

        function live(on) {
          chip("live", on ? "live" : "reconnecting…", on ? "ok" : "bad");
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
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>gatewayd — technician</title>
        <style>
        html, body { margin:0; background:#0f1720; color:#eef3f8; font: 15px/1.35 system-ui, "DejaVu Sans", sans-serif; }
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
        <header><h1>Terminal check (gatewayd --probe)</h1><button id="run">Run again</button><a href="/">Kiosk</a></header>
        <div id="verdict">Checking…</div>
        <table><tbody id="checks"></tbody></table>
        <script>
        "use strict";
        const $ = id => document.getElementById(id);
        function run() {
          $("verdict").textContent = "Checking…"; $("verdict").className = "";
          fetch("/api/probe").then(r => r.json()).then(report => {
            $("verdict").textContent = report.ok ? "Scans can be delivered" : "FAILED — fix the lines marked FAIL";
            $("verdict").className = report.ok ? "ok" : "fail";
            $("checks").replaceChildren(...report.checks.map(c => {
              const tr = document.createElement("tr"); tr.className = c.status;
              const name = document.createElement("td"); name.className = "name"; name.textContent = c.name;
              const status = document.createElement("td"); status.className = "status"; status.textContent = c.status;
              const detail = document.createElement("td"); detail.textContent = c.detail;
              if (c.lines && c.lines.length) { const d = document.createElement("div"); d.className = "lines"; d.textContent = c.lines.join("\n"); detail.append(d); }
              tr.append(name, status, detail); return tr;
            }));
          }).catch(e => { $("verdict").textContent = "The terminal did not answer: " + e; $("verdict").className = "fail"; });
        }
        $("run").onclick = run;
        run();
        </script>
        </body>
        </html>
        """#
}
