/**
 * The page at `/`: what a person wants at a glance, refreshed from /varz and /connz every
 * two seconds. Plain HTML and a few lines of script, no build step.
 */
export const STATUS_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>jetmq</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #1d2330; background: #f6f7f9; }
  h1 { font-size: 1.4rem; margin: 0 0 .2rem; } .sub { color: #667; margin-bottom: 1.5rem; }
  .cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: 1rem; }
  .card { background: #fff; border-radius: 10px; padding: 1rem 1.2rem; box-shadow: 0 1px 3px #0002; }
  .card b { display: block; font-size: 1.8rem; } .card span { color: #667; }
  table { width: 100%; margin-top: 1.5rem; border-collapse: collapse; background: #fff; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #e3e6ea; }
  .ok { color: #157a3a; } .bad { color: #b3261e; }
</style></head>
<body>
<h1>jetmq <span id="health">…</span></h1>
<div class="sub" id="meta">loading…</div>
<div class="cards">
  <div class="card"><b id="connections">–</b><span>connections</span></div>
  <div class="card"><b id="sessions">–</b><span>persistent sessions here</span></div>
  <div class="card"><b id="subscriptions">–</b><span>subscriptions</span></div>
  <div class="card"><b id="rate-in">–</b><span>packets in / s</span></div>
  <div class="card"><b id="rate-out">–</b><span>messages out / s</span></div>
  <div class="card"><b id="dropped">–</b><span>QoS 0 dropped</span></div>
</div>
<table><thead><tr><th>client id</th><th>transport</th><th>remote</th><th>subscriptions</th>
<th>in</th><th>out</th><th>in flight</th></tr></thead><tbody id="clients"></tbody></table>
<script>
let last = null;
const set = (id, v) => (document.getElementById(id).textContent = v);
// Client ids and topics come from clients: never markup.
const esc = (t) => String(t).replace(/[&<>"]/g, (ch) => "&#" + ch.charCodeAt(0) + ";");
async function refresh() {
  try {
    const [v, c, h] = await Promise.all([
      fetch("/varz").then((r) => r.json()),
      fetch("/connz?limit=50").then((r) => r.json()),
      fetch("/healthz"),
    ]);
    const health = document.getElementById("health");
    health.textContent = h.ok ? "● healthy" : "● unavailable";
    health.className = h.ok ? "ok" : "bad";
    set("meta", "instance " + v.instance + " · version " + v.version + " · NATS " +
      v.nats.server + " (" + v.nats.version + ") · up " + Math.round(v.uptime_ms / 1000) + " s");
    set("connections", v.connections);
    set("subscriptions", v.subscriptions);
    set("dropped", v.dropped_qos0);
    set("sessions", c.connections.filter((x) => x.clean_session === false).length);
    if (last) {
      const s = (v.uptime_ms - last.uptime_ms) / 1000 || 1;
      set("rate-in", Math.round((v.in_msgs - last.in_msgs) / s));
      set("rate-out", Math.round((v.out_msgs - last.out_msgs) / s));
    }
    last = v;
    const cells = (x) => [x.mqtt_client, x.transport, x.remote, Object.keys(x.subscriptions).join(", "),
      x.in_msgs, x.out_msgs, x.in_flight];
    const rows = c.connections.map((x) => "<tr>" + cells(x).map((v) => "<td>" + esc(v) + "</td>").join("") + "</tr>");
    document.getElementById("clients").innerHTML = rows.join("");
  } catch (e) {
    set("meta", "cannot reach jetmq: " + e);
  }
}
refresh();
setInterval(refresh, 2000);
</script></body></html>
`;
