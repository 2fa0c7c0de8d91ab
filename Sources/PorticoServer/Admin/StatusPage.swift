/// The live status page served at `/` of the admin listener.
///
/// One self-contained document: inline CSS and JavaScript, charts drawn on `<canvas>`
/// by the page's own code, no external assets (the admin listener is often on a host
/// without internet access, and nothing should be fetched from third parties). It holds
/// no data itself; every second it polls `/api/stats`, `/api/upstreams` and
/// `/api/reloads`. A token given as `#token=…` in the URL is sent as a bearer token: a
/// fragment never reaches the server, so it stays out of access logs and `Referer`s.
///
/// The cache hit ratio tile and chart show only while the stats carry
/// `cache_hit_ratio`, i.e. while some route caches.
///
/// Every number carries `data-metric` so that browser checks
/// (`Benchmarks/status_page_check.py`) can read them.
enum StatusPage {
    /// Everything the page needs is inline; it may only talk to its own origin.
    static let securityHeaders: [(String, String)] = [
        (
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
                + "img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        ),
        ("X-Content-Type-Options", "nosniff"),
        ("Referrer-Policy", "no-referrer"),
        ("X-Frame-Options", "DENY"),
    ]

    static let html = head + body + script

    private static let head = #"""
        <!doctype html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Portico status</title>
        <style>
        :root {
          --bg: #f6f7f9; --panel: #ffffff; --text: #1c2330; --muted: #677185; --line: #e2e6ee;
          --accent: #2f6fec; --accent2: #d9822b; --accent3: #8e44ad; --good: #1e9e5a; --bad: #d64545; --warn: #c99a06;
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --bg: #111418; --panel: #1a1f26; --text: #e4e8ee; --muted: #8d97a8; --line: #2a313b;
            --accent: #5b8ff9; --accent2: #f0a35e; --accent3: #b57edc; --good: #3ccf7f; --bad: #f06565; --warn: #e0b83a;
          }
        }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--text);
               font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
        header { display: flex; align-items: baseline; gap: 12px; padding: 14px 20px; border-bottom: 1px solid var(--line); background: var(--panel); }
        header h1 { font-size: 18px; margin: 0; font-weight: 600; }
        header .sub { color: var(--muted); font-size: 12px; }
        header .right { margin-left: auto; color: var(--muted); font-size: 12px; }
        .dot { display: inline-block; width: 8px; height: 8px; border-radius: 50%; background: var(--muted); margin-right: 6px; }
        .dot.live { background: var(--good); }
        .dot.down { background: var(--bad); }
        #banner { display: none; margin: 12px 20px 0; padding: 10px 14px; border-radius: 6px;
                  background: var(--bad); color: #fff; font-weight: 600; }
        #banner.show { display: block; }
        main { padding: 16px 20px 32px; display: grid; gap: 16px; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(150px, 1fr)); gap: 12px; }
        .tile { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 10px 12px; }
        .tile .label { color: var(--muted); font-size: 12px; text-transform: uppercase; letter-spacing: .04em; }
        .tile .value { font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; margin-top: 2px; }
        .tile .unit { font-size: 12px; color: var(--muted); font-weight: 400; margin-left: 3px; }
        .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(300px, 1fr)); gap: 12px; }
        .panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
        .panel h2 { font-size: 13px; margin: 0 0 8px; font-weight: 600; display: flex; gap: 10px; align-items: baseline; }
        .panel h2 .legend { font-weight: 400; color: var(--muted); font-size: 12px; }
        .legend i { display: inline-block; width: 10px; height: 3px; vertical-align: middle; margin: 0 3px 0 8px; }
        canvas { width: 100%; height: 140px; display: block; }
        table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
        th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); white-space: nowrap; }
        th { color: var(--muted); font-weight: 500; font-size: 12px; }
        td.num, th.num { text-align: right; }
        .group-row td { font-weight: 600; background: color-mix(in srgb, var(--panel) 85%, var(--line)); }
        .pill { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 12px; border: 1px solid currentColor; }
        .ok { color: var(--good); } .bad { color: var(--bad); } .warn { color: var(--warn); } .muted { color: var(--muted); }
        .empty { color: var(--muted); padding: 8px; }
        .scroll { overflow-x: auto; }
        </style>
        </head>

        """#

    private static let body = #"""
        <body>
        <header>
          <h1>Portico</h1><span class="sub">live status</span>
          <span class="right"><span id="live-dot" class="dot"></span><span id="updated">connecting…</span></span>
        </header>
        <div id="banner" role="alert"></div>
        <main>
          <section class="tiles">
            <div class="tile"><div class="label">Requests/s</div><div class="value" id="rps" data-metric="rps">–</div></div>
            <div class="tile"><div class="label">Error rate (5xx)</div><div class="value"><span id="error-rate" data-metric="error_rate">–</span><span class="unit">%</span></div></div>
            <div class="tile"><div class="label">Latency p50</div><div class="value"><span id="p50" data-metric="p50_ms">–</span><span class="unit">ms</span></div></div>
            <div class="tile"><div class="label">Latency p90</div><div class="value"><span id="p90" data-metric="p90_ms">–</span><span class="unit">ms</span></div></div>
            <div class="tile"><div class="label">Latency p99</div><div class="value"><span id="p99" data-metric="p99_ms">–</span><span class="unit">ms</span></div></div>
            <div class="tile"><div class="label">Open connections</div><div class="value" id="open-connections" data-metric="open_connections">–</div></div>
            <div class="tile"><div class="label">In flight</div><div class="value" id="in-flight" data-metric="in_flight">–</div></div>
            <div class="tile"><div class="label">Bytes out/s</div><div class="value" id="bytes-out" data-metric="bytes_out_per_second">–</div></div>
            <div class="tile"><div class="label">Total requests</div><div class="value" id="total-requests" data-metric="total_requests">–</div></div>
            <div class="tile"><div class="label">Total 5xx</div><div class="value" id="total-errors" data-metric="total_errors_5xx">–</div></div>
            <div class="tile" id="cache-tile" hidden><div class="label">Cache hit ratio</div><div class="value"><span id="cache-hit-ratio" data-metric="cache_hit_ratio">–</span><span class="unit">%</span></div></div>
          </section>
          <section class="charts">
            <div class="panel"><h2>Requests/s <span class="legend" id="rps-range"></span></h2><canvas id="chart-rps" data-chart="rps"></canvas></div>
            <div class="panel"><h2>Error rate <span class="legend" id="error-range"></span></h2><canvas id="chart-errors" data-chart="error_rate"></canvas></div>
            <div class="panel"><h2>Latency
              <span class="legend"><i style="background:var(--accent)"></i>p50<i style="background:var(--accent2)"></i>p90<i style="background:var(--accent3)"></i>p99</span></h2>
              <canvas id="chart-latency" data-chart="latency"></canvas></div>
            <div class="panel" id="cache-panel" hidden><h2>Cache hit ratio</h2><canvas id="chart-cache" data-chart="cache_hit_ratio"></canvas></div>
          </section>
          <section class="panel">
            <h2>Upstreams <span class="legend" id="upstream-summary" data-metric="upstream_summary"></span></h2>
            <div class="scroll"><table id="upstreams">
              <thead><tr><th>Server</th><th>Health</th><th>Passive</th><th>Admin state</th>
                <th class="num">In flight</th><th class="num">Weight</th><th class="num">Failures</th><th>Role</th></tr></thead>
              <tbody id="upstream-rows"><tr><td colspan="8" class="empty">loading…</td></tr></tbody>
            </table></div>
          </section>
          <section class="panel">
            <h2>Configuration reloads <span class="legend" id="reload-summary" data-metric="reload_summary"></span></h2>
            <div class="scroll"><table id="reloads">
              <thead><tr><th>Time</th><th>Trigger</th><th>Result</th><th>Message</th></tr></thead>
              <tbody id="reload-rows"><tr><td colspan="4" class="empty">loading…</td></tr></tbody>
            </table></div>
          </section>
        </main>

        """#

    private static let script = #"""
        <script>
        "use strict";
        (function () {
          var POLL_MS = 1000;
          var token = null;
          var match = /(?:^#|&)token=([^&]*)/.exec(location.hash);
          if (match) { try { token = decodeURIComponent(match[1]); } catch (e) { token = match[1]; } }

          function $(id) { return document.getElementById(id); }
          function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }

          function get(path) {
            var headers = { "Accept": "application/json" };
            if (token) { headers["Authorization"] = "Bearer " + token; }
            return fetch(path, { headers: headers, cache: "no-store", credentials: "omit" }).then(function (response) {
              if (response.status === 401) {
                var error = new Error(token
                  ? "the admin token in the URL was refused"
                  : "the admin API needs a token: open this page as …/#token=YOUR_ADMIN_TOKEN");
                error.unauthorized = true;
                throw error;
              }
              if (!response.ok) { throw new Error(path + ": HTTP " + response.status); }
              return response.json();
            });
          }

          function fixed(value, digits) {
            if (value === null || value === undefined || !isFinite(value)) { return "–"; }
            return Number(value).toFixed(digits);
          }
          function count(value) {
            if (value === null || value === undefined || !isFinite(value)) { return "–"; }
            return Math.round(value).toLocaleString("en-US");
          }
          function bytes(value) {
            if (value === null || value === undefined || !isFinite(value)) { return "–"; }
            var units = ["B", "KiB", "MiB", "GiB", "TiB"];
            var index = 0;
            while (value >= 1024 && index < units.length - 1) { value /= 1024; index += 1; }
            return (index === 0 ? Math.round(value) : value.toFixed(1)) + " " + units[index];
          }
          function setText(id, text) { var node = $(id); if (node.textContent !== text) { node.textContent = text; } }

          // ---- charts -------------------------------------------------------------
          function niceMax(value) {
            if (!(value > 0)) { return 1; }
            var power = Math.pow(10, Math.floor(Math.log10(value)));
            var steps = [1, 2, 2.5, 5, 10];
            for (var i = 0; i < steps.length; i++) { if (value <= steps[i] * power) { return steps[i] * power; } }
            return 10 * power;
          }

          function drawChart(canvas, times, series, format) {
            var ratio = window.devicePixelRatio || 1;
            var width = canvas.clientWidth, height = canvas.clientHeight;
            if (width === 0 || height === 0) { return; }
            if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
              canvas.width = Math.round(width * ratio); canvas.height = Math.round(height * ratio);
            }
            var ctx = canvas.getContext("2d");
            ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
            ctx.clearRect(0, 0, width, height);
            var left = 48, right = 8, top = 8, bottom = 18;
            var plotW = Math.max(1, width - left - right), plotH = Math.max(1, height - top - bottom);
            var maxValue = 0;
            series.forEach(function (s) { s.values.forEach(function (v) { if (v !== null && isFinite(v) && v > maxValue) { maxValue = v; } }); });
            maxValue = niceMax(maxValue);
            ctx.font = "11px system-ui, sans-serif";
            ctx.fillStyle = css("--muted"); ctx.strokeStyle = css("--line"); ctx.lineWidth = 1;
            ctx.textAlign = "right"; ctx.textBaseline = "middle";
            for (var g = 0; g <= 4; g++) {
              var y = top + plotH - plotH * g / 4;
              ctx.beginPath(); ctx.moveTo(left, Math.round(y) + 0.5); ctx.lineTo(left + plotW, Math.round(y) + 0.5); ctx.stroke();
              ctx.fillText(format(maxValue * g / 4), left - 6, y);
            }
            if (times.length > 1) {
              var t0 = times[0], t1 = times[times.length - 1], span = Math.max(1, t1 - t0);
              ctx.textAlign = "left"; ctx.textBaseline = "alphabetic";
              ctx.fillText("-" + Math.round(span / 1000) + "s", left, height - 4);
              ctx.textAlign = "right"; ctx.fillText("now", left + plotW, height - 4);
              series.forEach(function (s) {
                ctx.strokeStyle = s.color; ctx.lineWidth = 1.6; ctx.lineJoin = "round";
                ctx.beginPath();
                var drawing = false;
                for (var i = 0; i < times.length; i++) {
                  var v = s.values[i];
                  if (v === null || v === undefined || !isFinite(v)) { drawing = false; continue; }
                  var x = left + plotW * (times[i] - t0) / span;
                  var y = top + plotH - plotH * Math.min(v, maxValue) / maxValue;
                  if (drawing) { ctx.lineTo(x, y); } else { ctx.moveTo(x, y); drawing = true; }
                }
                ctx.stroke();
              });
            } else {
              ctx.textAlign = "center"; ctx.fillText("waiting for samples…", left + plotW / 2, top + plotH / 2);
            }
          }

          var lastStats = null;
          function renderCharts() {
            if (!lastStats) { return; }
            var samples = lastStats.samples || [];
            var times = samples.map(function (s) { return s.t; });
            function pick(key, scale) {
              return samples.map(function (s) { var v = s[key]; return v === null || v === undefined ? null : v * (scale || 1); });
            }
            drawChart($("chart-rps"), times, [{ values: pick("rps"), color: css("--accent") }], function (v) { return v >= 100 ? Math.round(v) : v.toFixed(1); });
            drawChart($("chart-errors"), times, [{ values: pick("error_rate", 100), color: css("--bad") }], function (v) { return v.toFixed(v >= 10 ? 0 : 1) + "%"; });
            drawChart($("chart-latency"), times, [
              { values: pick("p50_ms"), color: css("--accent") },
              { values: pick("p90_ms"), color: css("--accent2") },
              { values: pick("p99_ms"), color: css("--accent3") }
            ], function (v) { return (v >= 100 ? Math.round(v) : v.toFixed(1)) + "ms"; });
            if (!$("cache-panel").hidden) {
              drawChart($("chart-cache"), times, [{ values: pick("cache_hit_ratio", 100), color: css("--good") }], function (v) { return v.toFixed(0) + "%"; });
            }
          }

          // ---- sections -----------------------------------------------------------
          function renderStats(stats) {
            lastStats = stats;
            var samples = stats.samples || [];
            var last = samples.length ? samples[samples.length - 1] : null;
            setText("rps", last ? fixed(last.rps, 1) : "–");
            setText("error-rate", last ? fixed(last.error_rate * 100, 2) : "–");
            setText("p50", last ? fixed(last.p50_ms, 1) : "–");
            setText("p90", last ? fixed(last.p90_ms, 1) : "–");
            setText("p99", last ? fixed(last.p99_ms, 1) : "–");
            setText("open-connections", last ? count(last.open_connections) : "–");
            setText("in-flight", last ? count(last.in_flight) : "–");
            setText("bytes-out", last ? bytes(last.bytes_out_per_second) + "/s" : "–");
            // The field exists only while a route caches (see StatsHistory).
            var caching = !!last && last.cache_hit_ratio !== undefined;
            $("cache-tile").hidden = !caching;
            $("cache-panel").hidden = !caching;
            setText("cache-hit-ratio", caching ? fixed(last.cache_hit_ratio === null ? null : last.cache_hit_ratio * 100, 1) : "–");
            var totals = stats.totals || {};
            setText("total-requests", count(totals.requests));
            setText("total-errors", count(totals.errors_5xx));
            var minutes = samples.length * (stats.interval_seconds || 1) / 60;
            setText("rps-range", samples.length ? "last " + (minutes >= 1 ? minutes.toFixed(0) + " min" : samples.length + " s") : "");
            renderCharts();
          }

          function cell(row, text, className) {
            var td = document.createElement("td");
            if (className) { td.className = className; }
            td.textContent = text;
            row.appendChild(td);
            return td;
          }
          function pill(row, text, className) {
            var td = document.createElement("td");
            var span = document.createElement("span");
            span.className = "pill " + className;
            span.textContent = text;
            td.appendChild(span);
            row.appendChild(td);
          }

          function renderUpstreams(doc) {
            var rows = document.createDocumentFragment();
            var total = 0, up = 0;
            (doc.groups || []).forEach(function (group) {
              var header = document.createElement("tr");
              header.className = "group-row";
              var td = cell(header, group.name + (group.balance ? "  ·  " + group.balance : ""));
              td.colSpan = 8;
              td.setAttribute("data-group", group.name);
              rows.appendChild(header);
              if (!group.servers || group.servers.length === 0) {
                var none = document.createElement("tr");
                cell(none, "no resolved servers", "empty").colSpan = 8;
                rows.appendChild(none);
              }
              (group.servers || []).forEach(function (server) {
                total += 1;
                var usable = server.healthy && !server.ejected && server.admin_state === "enabled";
                if (usable) { up += 1; }
                var row = document.createElement("tr");
                row.setAttribute("data-server", group.name + "/" + server.address);
                cell(row, server.address);
                pill(row, server.healthy ? "healthy" : "down", server.healthy ? "ok" : "bad");
                pill(row, server.ejected ? "ejected" : "ok", server.ejected ? "bad" : "ok");
                pill(row, server.admin_state, server.admin_state === "enabled" ? "ok" : (server.admin_state === "draining" ? "warn" : "bad"));
                cell(row, count(server.in_flight), "num").setAttribute("data-metric", "in_flight:" + group.name + "/" + server.address);
                cell(row, String(server.weight), "num");
                cell(row, count(server.failures), "num");
                cell(row, server.backup ? "backup" : "primary", "muted");
                rows.appendChild(row);
              });
            });
            var body = $("upstream-rows");
            body.textContent = "";
            if (total === 0 && !(doc.groups || []).length) {
              var empty = document.createElement("tr");
              cell(empty, "no upstream groups configured", "empty").colSpan = 8;
              rows.appendChild(empty);
            }
            body.appendChild(rows);
            setText("upstream-summary", up + " of " + total + " servers in rotation");
          }

          function renderReloads(doc) {
            var body = $("reload-rows");
            body.textContent = "";
            var events = (doc.events || []).slice(0, 10);
            if (events.length === 0) {
              var empty = document.createElement("tr");
              cell(empty, "no reloads since start", "empty").colSpan = 4;
              body.appendChild(empty);
            }
            events.forEach(function (event) {
              var row = document.createElement("tr");
              cell(row, new Date(event.time * 1000).toLocaleString());
              cell(row, event.trigger);
              pill(row, event.succeeded ? "applied" : "refused", event.succeeded ? "ok" : "bad");
              var message = event.message + (event.diagnostics && event.diagnostics.length ? " — " + event.diagnostics.join("; ") : "");
              cell(row, message);
              body.appendChild(row);
            });
            setText("reload-summary", (doc.succeeded || 0) + " applied, " + (doc.failed || 0) + " refused");
          }

          // ---- polling ------------------------------------------------------------
          var failures = 0;
          function showBanner(message) {
            var banner = $("banner");
            banner.textContent = message;
            banner.className = message ? "show" : "";
            $("live-dot").className = message ? "dot down" : "dot live";
          }

          function poll() {
            Promise.allSettled([get("/api/stats"), get("/api/upstreams"), get("/api/reloads")]).then(function (results) {
              var errors = [];
              results.forEach(function (result, index) {
                if (result.status === "fulfilled") {
                  try {
                    [renderStats, renderUpstreams, renderReloads][index](result.value);
                  } catch (error) {
                    errors.push("cannot show " + ["stats", "upstreams", "reloads"][index] + ": " + error.message);
                  }
                } else {
                  var message = result.reason && result.reason.message ? result.reason.message : String(result.reason);
                  if (errors.indexOf(message) < 0) { errors.push(message); }
                }
              });
              if (errors.length) {
                failures += 1;
                showBanner("Live update failed (" + failures + "×): " + errors.join(" · ") + ". Showing the last data received.");
              } else {
                failures = 0;
                showBanner("");
                setText("updated", "updated " + new Date().toLocaleTimeString());
              }
            }).finally(function () { setTimeout(poll, POLL_MS); });
          }

          window.addEventListener("resize", renderCharts);
          poll();
        })();
        </script>
        </body>
        </html>

        """#
}
