package report

import "html/template"

// pageTemplate is the page: plain HTML and CSS, no script, nothing
// fetched.
var pageTemplate = template.Must(template.New("report").Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>consim sweep report</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; font-size: 13px; }
th, td { padding: 2px 8px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child, th:nth-child(2), td:nth-child(2) { text-align: left; }
td.failed { color: #b00; font-weight: bold; }
.verdict-ok { color: #070; } .verdict-fail { color: #b00; }
nav ol { columns: 4 14em; font-size: 13px; }
.grid { display: flex; flex-wrap: wrap; gap: 1em; }
section.scenario { width: 600px; border: 1px solid #ddd; padding: 0.5em; }
section.scenario h3 { margin: 0.2em 0; font-size: 15px; }
section.scenario p { margin: 0.2em 0; font-size: 12px; color: #555; }
section.scenario table { font-size: 12px; }
section.scenario td:first-child { white-space: nowrap; }
.failure { margin-bottom: 0.6em; font-size: 13px; }
code { background: #f4f4f4; padding: 1px 3px; }
.key span { display: inline-block; width: 1em; height: 0.8em; margin: 0 0.3em 0 1em; }
</style>
</head>
<body>
<h1>consim sweep report</h1>
<p>{{.Summary}}</p>
<p class="{{if .Failures}}verdict-fail{{else}}verdict-ok{{end}}"><strong>{{.Verdict}}</strong></p>
<nav><h2>Scenarios</h2><ol>
{{range .Scenarios}}<li><a href="#{{.Anchor}}">{{.Name}}</a>{{if .Failed}} <span class="verdict-fail">({{.Failed}} failing)</span>{{end}}</li>
{{end}}</ol>
<p><a href="#timelines">availability</a> · <a href="#latency">latency</a> · <a href="#table">table</a>{{if .Failures}} · <a href="#failures">failing runs</a>{{end}}</p></nav>

<h2 id="latency">Operation latency</h2>
<p>Cumulative distribution of every completed operation's latency in simulated time, per protocol, over all scenarios and seeds (fixed log-scale buckets, 10 a decade).</p>
{{.Latency}}

<h2 id="timelines">Availability per scenario</h2>
<p>Operations completed per 100 ms of simulated time: the line is the median across seeds, the band the 10th to 90th percentile (from a histogram per bin: counts up to 15 exact, above that within 1/4 octave).
Shaded: the scenario's fault windows as scheduled
<span class="key"><span style="background:#ff9900;opacity:.4"></span>partition, isolation, cut or clog<span style="background:#cc0000;opacity:.4"></span>crash<span style="background:#8a2be2;opacity:.4"></span>pause<span style="background:#888;opacity:.4"></span>drift</span>; dashed: the liveness phase starts (faults heal unless kept). Under each chart, leader changes and terms per run: median (least–most) across seeds.</p>
<div class="grid">
{{range .Scenarios}}<section class="scenario" id="{{.Anchor}}">
<h3>{{.Name}}{{if .Failed}} <span class="verdict-fail">({{.Failed}} failing)</span>{{end}}</h3>
<p>{{.Description}}{{if .Swarm}} (faults drawn per seed: none shaded){{end}}</p>
{{.Chart}}
<table title="per run: median (least–most)"><thead><tr><th>protocol</th><th>runs</th><th>leader changes/run</th><th>terms/run</th></tr></thead>
<tbody>{{range .Stats}}<tr><td><span style="color:{{.Color}}">■</span> {{.Protocol}}</td><td>{{.Runs}}</td><td>{{.LeaderChanges}}</td><td>{{.Terms}}</td></tr>{{end}}</tbody></table>
</section>
{{end}}</div>

<h2 id="table">Results per scenario and protocol</h2>
<table>
<thead><tr>{{range .Header}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>
{{range .Rows}}<tr>{{range $i, $c := .}}<td{{if and (eq $i 3) (ne $c "0")}} class="failed"{{end}}>{{$c}}</td>{{end}}</tr>
{{end}}</tbody>
</table>
{{range .Notes}}<p><small>{{.}}</small></p>{{end}}

{{if .Failures}}<h2 id="failures">Failing runs</h2>
{{range .Failures}}<div class="failure"><strong>{{.Scenario}}</strong> {{.Protocol}} seed {{.Seed}}: {{.Verdict}}: {{.First}}<br>
reproduce: <code>{{.Reproduce}}</code>{{if .AsFile}}<br>as a file: <code>{{.AsFile}}</code>{{end}}
{{if .Artifacts}}<br>artifacts: <a class="artifacts" href="{{.Artifacts}}/">{{.Artifacts}}</a>{{end}}
{{if .Shrunk}}<br>shrunk: <a href="{{.Shrunk}}">{{.Shrunk}}</a>{{end}}</div>
{{end}}{{end}}

</body>
</html>
`))
