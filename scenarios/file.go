package scenarios

// Scenario files: a Scenario written as YAML by a user, read strictly, and
// written back canonically. The decoder walks the yaml.Node tree itself
// (rather than unmarshalling into structs) so that every error can name the
// file, the line, the column and the field path.

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/consim/consim/network"
	"github.com/consim/consim/nodes"
	"github.com/consim/consim/nodes/client"
)

// FileError is one problem at one place of a scenario file.
type FileError struct {
	// File is the path the file was read from.
	File string
	// Line and Column are 1-based; 0 when unknown.
	Line, Column int
	// Field is the path of the field, e.g. "faults[1].node"; empty for a
	// syntax error or a problem with the file as a whole.
	Field string
	// Msg says what is wrong.
	Msg string
}

// Error formats e as file:line:column: field: message.
func (e *FileError) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
		if e.Column > 0 {
			fmt.Fprintf(&b, ":%d", e.Column)
		}
	}
	b.WriteString(": ")
	if e.Field != "" {
		b.WriteString(e.Field + ": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// LoadScenario reads the scenario file at path (see ParseScenario).
func LoadScenario(path string) (Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, err
	}
	return ParseScenario(path, data)
}

// ParseScenario reads a scenario file. A scenario file is one YAML mapping
// with the fields of a Scenario in snake_case (MarshalScenario writes every
// one of them; `simrun show NAME` prints any named scenario that way).
// Durations are Go duration strings ("1.5s", "200ms"); node ids are
// integers. A field left out, or left empty (null), takes its value in
// Base(), field by field inside network and workload; but workload.mix, and
// every list (faults, network.links), is replaced as a whole, and the
// fields a fault or link leaves out are zero. An empty name becomes the
// file's base name without its extension.
//
// Decoding is strict: an unknown or repeated field, a value of the wrong
// type, a bad duration, a fault that sets a node its action does not use, a
// link to a node outside the cluster, a heal when nothing is partitioned,
// cut or clogged (unless the file asks for swarm faults, which a heal may
// repair), and everything Scenario.Validate rejects are errors. Each error
// is a *FileError; several are joined (errors.Join) in file order.
func ParseScenario(path string, data []byte) (Scenario, error) {
	d := &decoder{file: path, where: map[string]position{}, budget: maxValues}
	root := d.document(data)
	if root == nil {
		return Scenario{}, d.err()
	}
	s := Base()
	d.where[""] = pos(root)
	d.mapping(root, "", scenarioFields(&s))
	if len(d.errs) > 0 {
		// The values are half decoded: checking them would only add noise.
		return Scenario{}, d.err()
	}
	if s.Name == "" {
		s.Name = nameFromPath(path)
	}
	d.checkTargets(s.Faults)
	d.checkLinks(s)
	d.checkMix(s)
	if !s.Swarm {
		d.checkHeals(s.Faults)
	}
	d.checkValidate(s)
	if len(d.errs) > 0 {
		return Scenario{}, d.err()
	}
	return s, nil
}

// MarshalScenario writes s as a canonical scenario file: a comment with the
// description, then every field in a fixed order (a fault on one line, with
// at, action and the fields it sets), durations as strings. ParseScenario
// reads it back to an equal Scenario, for every Scenario a file can hold:
// every named one, and every one ParseScenario returns.
func MarshalScenario(s Scenario) ([]byte, error) {
	var b bytes.Buffer
	writeComment(&b, s)
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(encodeMapping(scenarioFields(&s), 0)); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	if err := enc.Close(); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	return b.Bytes(), nil
}

// writeComment writes the description (or the name) as YAML comment lines,
// with every character a comment cannot hold replaced by a space.
func writeComment(b *bytes.Buffer, s Scenario) {
	text := s.Description
	if text == "" {
		text = "scenario " + s.Name
	}
	printable := func(r rune) rune {
		if r == '\n' || r == '\t' || (unicode.IsPrint(r) && r != '\ufeff') {
			return r
		}
		return ' '
	}
	for _, line := range strings.Split(strings.Map(printable, text), "\n") {
		fmt.Fprintf(b, "# %s\n", strings.TrimRight(line, " \t"))
	}
}

// nameFromPath is the name of a file's scenario when the file gives none:
// its base name without the extension.
func nameFromPath(path string) string {
	if path == "" {
		return ""
	}
	base := filepath.Base(path)
	return strings.TrimSuffix(base, filepath.Ext(base))
}

// The schema: one list of fields per kind of mapping, shared by the decoder
// and the encoder so that the two cannot drift apart.

// field is one key of a mapping in a scenario file, bound to the Go value
// it decodes into and encodes from.
type field struct {
	name string
	// decode reads n (aliases followed, never null) into the value.
	decode func(d *decoder, n *yaml.Node, path string)
	// encode returns the value as a YAML node.
	encode func() *yaml.Node
	// omit leaves the field out of a marshalled file (a fault's unused
	// fields, which are zero).
	omit bool
	// kind names the value for the field reference (FieldReference).
	kind string
	// fields, for a mapping or a list of mappings, returns the fields of
	// a zero one (for the field reference); nil for other values.
	fields func() []field
}

// scenarioFields are the top-level fields of a file, in file order; the
// functions below give those of each nested mapping.
func scenarioFields(s *Scenario) []field {
	return []field{
		textField("name", &s.Name),
		textField("description", &s.Description),
		intField("servers", &s.Servers),
		intField("clients", &s.Clients),
		objectField("network", networkFields(&s.Network), 0),
		objectField("workload", workloadFields(&s.Workload), 0),
		listField("faults", "a list of faults", &s.Faults, faultFields, yaml.FlowStyle),
		boolField("swarm", &s.Swarm),
		omitZero(intField("swarm_version", &s.SwarmVersion), s.SwarmVersion == 0),
		durationField("duration", &s.Duration),
		durationField("liveness_window", &s.LivenessWindow),
		boolField("keep_faults", &s.KeepFaults),
		regressionField(&s.Regression),
	}
}

// regressionField is the optional regression block: absent (nil) unless
// the file has one, and then written back.
func regressionField(dst **Regression) field {
	f := field{
		name: "regression",
		decode: func(d *decoder, n *yaml.Node, path string) {
			r := &Regression{}
			d.mapping(n, path, regressionFields(r))
			*dst = r
		},
		encode: func() *yaml.Node { return encodeMapping(regressionFields(*dst), 0) },
		kind:   kindMapping,
		fields: func() []field { return regressionFields(&Regression{}) },
	}
	return omitZero(f, *dst == nil)
}

func regressionFields(r *Regression) []field {
	return []field{
		textField("protocol", &r.Protocol),
		omitZero(textField("bug", &r.Bug), r.Bug == ""),
		seedsField("seeds", &r.Seeds),
		omitZero(textField("expect", &r.Expect), r.Expect == ""),
	}
}

// seedsField is a list of seeds (non-negative integers).
func seedsField(name string, dst *[]uint64) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			*dst = sequence(d, n, path, "a list of seeds", func(d *decoder, n *yaml.Node, path string, seed *uint64) {
				if !d.scalar(n, path, "a seed (a non-negative integer)", "!!int") {
					return
				}
				v, err := strconv.ParseUint(n.Value, 0, 64)
				if err != nil {
					d.add(pos(n), path, "%s is not a non-negative integer", n.Value)
					return
				}
				*seed = v
			})
		},
		encode: func() *yaml.Node {
			seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, v := range *dst {
				seq.Content = append(seq.Content, scalarNode("!!int", strconv.FormatUint(v, 10)))
			}
			return seq
		},
		kind: "a list of seeds",
	}
}

func networkFields(c *network.Config) []field {
	return []field{
		durationField("latency_min", &c.LatencyMin),
		durationField("latency_tail_mean", &c.LatencyTailMean),
		floatField("drop_rate", &c.DropRate),
		floatField("duplicate_rate", &c.DuplicateRate),
		floatField("reorder_rate", &c.ReorderRate),
		durationField("reorder_delay_max", &c.ReorderDelayMax),
		listField("links", "a list of links", &c.Links, linkFields, 0),
	}
}

func linkFields(l *network.Link) []field {
	return []field{
		intField("from", &l.From),
		intField("to", &l.To),
		durationField("latency_min", &l.LatencyMin),
		durationField("latency_tail_mean", &l.LatencyTailMean),
		floatField("drop_rate", &l.DropRate),
		floatField("duplicate_rate", &l.DuplicateRate),
		floatField("reorder_rate", &l.ReorderRate),
		durationField("reorder_delay_max", &l.ReorderDelayMax),
	}
}

func workloadFields(c *client.Config) []field {
	mix := objectField("mix", mixFields(&c.Mix), yaml.FlowStyle)
	decodeFields := mix.decode
	mix.decode = func(d *decoder, n *yaml.Node, path string) {
		c.Mix = client.Mix{} // a mix is replaced as a whole: the weights left out are zero
		decodeFields(d, n, path)
	}
	return []field{
		intField("keys", &c.Keys),
		textField("key_distribution", &c.KeyDistribution),
		floatField("zipf_exponent", &c.ZipfExponent),
		mix,
		durationField("think_time_mean", &c.ThinkTimeMean),
		durationField("timeout", &c.Timeout),
		durationField("backoff", &c.Backoff),
		omitZero(durationField("burst", &c.Burst), c.Burst == 0),
		omitZero(durationField("idle", &c.Idle), c.Idle == 0),
	}
}

func mixFields(m *client.Mix) []field {
	return []field{
		intField("get", &m.Get),
		intField("put", &m.Put),
		intField("append", &m.Append),
		intField("cas", &m.CAS),
	}
}

func faultFields(f *Fault) []field {
	return []field{
		durationField("at", &f.At),
		textField("action", &f.Action),
		omitZero(intField("node", &f.Node), f.Node == 0),
		omitZero(idsField("nodes", &f.Nodes), len(f.Nodes) == 0),
		omitZero(groupsField("groups", &f.Groups), len(f.Groups) == 0),
		omitZero(intField("from", &f.From), f.From == 0),
		omitZero(intField("to", &f.To), f.To == 0),
		omitZero(durationField("delay", &f.Delay), f.Delay == 0),
		omitZero(durationField("duration", &f.Duration), f.Duration == 0),
		omitZero(floatField("factor", &f.Factor), f.Factor == 0),
		omitZero(textField("disk", &f.Disk), f.Disk == DiskClean),
		omitZero(boolField("keep", &f.Keep), !f.Keep),
	}
}

// omitZero marks f to be left out of a marshalled file when zero.
func omitZero(f field, zero bool) field {
	f.omit = zero
	return f
}

// Field constructors, one per kind of value.

// textField is a string (a name, an action, a disk fault); an unquoted
// number or boolean is an error, with the hint to quote it.
func textField[T ~string](name string, dst *T) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			if n.Kind == yaml.ScalarNode && n.ShortTag() != "!!str" && n.ShortTag() != "!!null" {
				d.add(pos(n), path, "want a string, got %s (quote it to mean the string: %q)", describe(n), n.Value)
				return
			}
			if d.scalar(n, path, "a string", "!!str") {
				*dst = T(n.Value)
			}
		},
		encode: func() *yaml.Node { return scalarNode("!!str", string(*dst)) },
		kind:   "a string",
	}
}

// intField is an integer: a count, a weight or a node id.
func intField[T ~int](name string, dst *T) field {
	return field{
		name:   name,
		decode: func(d *decoder, n *yaml.Node, path string) { decodeInt(d, n, path, dst) },
		encode: func() *yaml.Node { return scalarNode("!!int", strconv.Itoa(int(*dst))) },
		kind:   "an integer",
	}
}

// floatField is a finite number; an integer will do.
func floatField(name string, dst *float64) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			var v float64
			if !d.scalar(n, path, "a number", "!!int", "!!float") || n.Decode(&v) != nil {
				return
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				d.add(pos(n), path, "want a finite number, got %s", n.Value)
				return
			}
			*dst = v
		},
		encode: func() *yaml.Node { return floatNode(*dst) },
		kind:   "a number",
	}
}

// durationField is a Go duration string ("1.5s"); a bare 0 will do.
func durationField(name string, dst *time.Duration) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			if !d.scalar(n, path, "a duration", "!!str", "!!int", "!!float") {
				return
			}
			v, err := time.ParseDuration(n.Value)
			if err != nil {
				d.add(pos(n), path, "want a duration with a unit (ns, us, ms, s, m, h) such as 1.5s or 200ms, got %q", n.Value)
				return
			}
			*dst = v
		},
		encode: func() *yaml.Node { return scalarNode("!!str", dst.String()) },
		kind:   "a duration",
	}
}

// boolField is true or false (not yes or no).
func boolField(name string, dst *bool) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			var v bool
			if d.scalar(n, path, "true or false", "!!bool") && n.Decode(&v) == nil {
				*dst = v
			}
		},
		encode: func() *yaml.Node { return scalarNode("!!bool", strconv.FormatBool(*dst)) },
		kind:   "true or false",
	}
}

// idsField is a list of node ids, written [1, 2].
func idsField(name string, dst *[]nodes.ID) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			*dst = sequence(d, n, path, "a list of node ids", (*decoder).nodeID)
		},
		encode: func() *yaml.Node { return idsNode(*dst) },
		kind:   "a list of node ids",
	}
}

// groupsField is a list of lists of node ids, written [[1, 2], [3, 4, 5]].
func groupsField(name string, dst *[][]nodes.ID) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			*dst = sequence(d, n, path, "a list of groups, each a list of node ids", func(d *decoder, n *yaml.Node, path string, group *[]nodes.ID) {
				*group = sequence(d, n, path, "a group: a list of node ids", (*decoder).nodeID)
			})
		},
		encode: func() *yaml.Node {
			seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
			for _, g := range *dst {
				seq.Content = append(seq.Content, idsNode(g))
			}
			return seq
		},
		kind: "a list of lists of node ids",
	}
}

// objectField is a nested mapping whose fields are decoded over the values
// already there (so that the ones a file leaves out keep their defaults).
func objectField(name string, fields []field, style yaml.Style) field {
	return field{
		name:   name,
		decode: func(d *decoder, n *yaml.Node, path string) { d.mapping(n, path, fields) },
		encode: func() *yaml.Node { return encodeMapping(fields, style) },
		kind:   kindMapping,
		fields: func() []field { return fields },
	}
}

// listField is a list of mappings; a file's list replaces the default.
func listField[T any](name, want string, dst *[]T, fields func(*T) []field, itemStyle yaml.Style) field {
	return field{
		name: name,
		decode: func(d *decoder, n *yaml.Node, path string) {
			*dst = sequence(d, n, path, want, func(d *decoder, n *yaml.Node, path string, item *T) {
				d.mapping(n, path, fields(item))
			})
		},
		encode: func() *yaml.Node {
			seq := &yaml.Node{Kind: yaml.SequenceNode}
			if len(*dst) == 0 {
				seq.Style = yaml.FlowStyle // []
			}
			for i := range *dst {
				seq.Content = append(seq.Content, encodeMapping(fields(&(*dst)[i]), itemStyle))
			}
			return seq
		},
		kind:   kindList,
		fields: func() []field { return fields(new(T)) },
	}
}

// Encoding.

// encodeMapping writes the fields that are not omitted, in order.
func encodeMapping(fields []field, style yaml.Style) *yaml.Node {
	m := &yaml.Node{Kind: yaml.MappingNode, Style: style}
	for _, f := range fields {
		if !f.omit {
			m.Content = append(m.Content, scalarNode("!!str", f.name), f.encode())
		}
	}
	return m
}

// scalarNode is a value with its tag; the encoder quotes a string when it
// would otherwise read as something else.
func scalarNode(tag, value string) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: value}
}

// floatNode writes v in the shortest form that reads back to the same
// float64, tagged as what it looks like ("0" is an integer to YAML, and
// ParseScenario reads an integer where it wants a number).
func floatNode(v float64) *yaml.Node {
	switch {
	case math.IsNaN(v):
		return scalarNode("!!float", ".nan")
	case math.IsInf(v, 1):
		return scalarNode("!!float", ".inf")
	case math.IsInf(v, -1):
		return scalarNode("!!float", "-.inf")
	}
	text := strconv.FormatFloat(v, 'g', -1, 64)
	if strings.ContainsAny(text, ".e") {
		return scalarNode("!!float", text)
	}
	return scalarNode("!!int", text)
}

// idsNode writes node ids as a flow list: [1, 2].
func idsNode(ids []nodes.ID) *yaml.Node {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, id := range ids {
		seq.Content = append(seq.Content, scalarNode("!!int", strconv.Itoa(int(id))))
	}
	return seq
}

// Decoding.

const (
	// maxValues bounds the YAML values one file may hold once its aliases
	// are expanded (a few anchors can otherwise stand for billions).
	maxValues = 1 << 18
	// maxErrors is how many errors one file reports.
	maxErrors = 10
)

// position is a line and column in a file, 1-based.
type position struct{ line, column int }

// pos is where n starts.
func pos(n *yaml.Node) position { return position{n.Line, n.Column} }

// decoder walks one scenario file and collects its errors.
type decoder struct {
	file string
	errs []*FileError
	// where is the position of every field path the file sets (the key of
	// a mapping entry, the start of a list item), to place the errors
	// found after decoding.
	where map[string]position
	// budget is how many more values the decoder will look at.
	budget int
}

// add records an error at a position, about a field path.
func (d *decoder) add(at position, field, format string, args ...any) {
	d.errs = append(d.errs, &FileError{File: d.file, Line: at.line, Column: at.column, Field: field, Msg: fmt.Sprintf(format, args...)})
}

// err returns the errors so far in file order, at most maxErrors of them.
func (d *decoder) err() error {
	if len(d.errs) == 0 {
		return nil
	}
	slices.SortStableFunc(d.errs, func(a, b *FileError) int {
		return cmp.Or(cmp.Compare(a.Line, b.Line), cmp.Compare(a.Column, b.Column))
	})
	if len(d.errs) == 1 {
		return d.errs[0]
	}
	var errs []error
	for i, e := range d.errs {
		if i == maxErrors {
			errs = append(errs, &FileError{File: d.file, Line: e.Line, Msg: fmt.Sprintf("too many errors (%d more)", len(d.errs)-maxErrors)})
			break
		}
		errs = append(errs, e)
	}
	return errors.Join(errs...)
}

// document parses data into its one YAML document and returns the root
// value, or nil after recording why there is none.
func (d *decoder) document(data []byte) *yaml.Node {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if err == io.EOF {
			d.add(position{1, 0}, "", "the file is empty; a scenario file is a mapping of fields, e.g. name and faults (see simrun show steady)")
		} else {
			d.syntax(err, data)
		}
		return nil
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == io.EOF:
	case err != nil:
		d.syntax(err, data)
		return nil
	default:
		d.add(pos(&next), "", "a second YAML document starts here; a scenario file holds one (remove the ---)")
		return nil
	}
	root := doc.Content[0]
	if isNull(root) {
		d.add(pos(root), "", "the file is empty; a scenario file is a mapping of fields, e.g. name and faults (see simrun show steady)")
		return nil
	}
	return d.value(root, "")
}

var (
	// yamlLine is how go.yaml.in/yaml/v3 places a syntax error.
	yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)
	// yamlAnchor finds the anchor or alias that an error without a line
	// names.
	yamlAnchor = regexp.MustCompile(`^yaml: (?:unknown anchor '(.*)' referenced|anchor '(.*)' value contains itself)$`)
)

// syntax records a YAML syntax error, at the best line we can tell: yaml
// reports the parser's errors one line early, the scanner's on the first
// line without a line number, and the reader's (bad characters) without
// one at all.
func (d *decoder) syntax(err error, data []byte) {
	text := err.Error()
	at := position{line: 1}
	msg := strings.TrimPrefix(text, "yaml: ")
	if m := yamlLine.FindStringSubmatch(text); m != nil {
		at.line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if isParserError(msg) {
			at.line++
		}
	} else if m := yamlAnchor.FindStringSubmatch(text); m != nil {
		at = find(data, "*"+m[1]+m[2])
	} else if p, ok := badCharacter(data); ok {
		at = p
	}
	d.add(at, "", "syntax error: %s", msg)
}

// isParserError tells the YAML parser's messages (whose line numbers are
// zero-based) from the scanner's.
func isParserError(msg string) bool {
	for _, prefix := range []string{"did not find expected", "found undefined tag handle", "found duplicate %", "found incompatible YAML document"} {
		if strings.HasPrefix(msg, prefix) {
			return true
		}
	}
	return false
}

// find returns the position of the first occurrence of text in data (line
// 1 if none).
func find(data []byte, text string) position {
	i := bytes.Index(data, []byte(text))
	if i < 0 {
		return position{line: 1}
	}
	return positionOf(data, i)
}

// positionOf is the line and column (in characters) of a byte offset.
func positionOf(data []byte, offset int) position {
	line := 1 + bytes.Count(data[:offset], []byte("\n"))
	start := bytes.LastIndexByte(data[:offset], '\n') + 1
	return position{line, 1 + utf8.RuneCount(data[start:offset])}
}

// badCharacter finds the first byte YAML does not allow: invalid UTF-8, or
// a control character other than tab, line feed and carriage return.
func badCharacter(data []byte) (position, bool) {
	for i := 0; i < len(data); {
		r, size := utf8.DecodeRune(data[i:])
		allowed := r == '\t' || r == '\n' || r == '\r' || r == 0x85 ||
			(r >= 0x20 && r <= 0x7e) || (r >= 0xa0 && r <= 0xd7ff) || (r >= 0xe000 && r <= 0xfffd) || r >= 0x10000
		if (r == utf8.RuneError && size == 1) || !allowed {
			return positionOf(data, i), true
		}
		i += size
	}
	return position{}, false
}

// value follows aliases and counts n against the budget; nil means the
// budget is spent and the decoder must stop.
func (d *decoder) value(n *yaml.Node, path string) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	d.budget--
	if d.budget == 0 {
		d.add(pos(n), path, "more than %d values once aliases are expanded", maxValues)
	}
	if d.budget <= 0 {
		return nil
	}
	return n
}

// isNull reports whether n is an empty value (null, ~ or nothing).
func isNull(n *yaml.Node) bool { return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" }

// mapping decodes the mapping n into fields.
func (d *decoder) mapping(n *yaml.Node, path string, fields []field) {
	if n.Kind != yaml.MappingNode {
		d.wrongType(n, path, "a mapping of fields")
		return
	}
	seen := map[string]int{} // field name -> line
	for i := 0; i+1 < len(n.Content); i += 2 {
		d.entry(n.Content[i], n.Content[i+1], path, fields, seen)
	}
}

// entry decodes one key: value of a mapping. A null value leaves the field
// as it was.
func (d *decoder) entry(key, value *yaml.Node, path string, fields []field, seen map[string]int) {
	if key = d.value(key, path); key == nil {
		return
	}
	if key.Kind != yaml.ScalarNode {
		d.add(pos(key), path, "want a field name, got %s", describe(key))
		return
	}
	name := key.Value
	at := join(path, name)
	if line, ok := seen[name]; ok {
		d.add(pos(key), at, "set twice (first at line %d)", line)
		return
	}
	seen[name] = key.Line
	i := slices.IndexFunc(fields, func(f field) bool { return f.name == name })
	if i < 0 {
		d.unknownField(key, at, fields)
		return
	}
	d.where[at] = pos(key)
	if value = d.value(value, at); value != nil && !isNull(value) {
		fields[i].decode(d, value, at)
	}
}

// join appends a field name to a field path.
func join(path, name string) string {
	if path == "" {
		return name
	}
	return path + "." + name
}

// unknownField records a key that is no field, with the likely intent and
// the fields that there are.
func (d *decoder) unknownField(key *yaml.Node, path string, fields []field) {
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.name
	}
	hint := ""
	if key.Value == "<<" {
		hint = " (merge keys are not supported)"
	} else if near := nearest(key.Value, names); near != "" {
		hint = fmt.Sprintf(" (did you mean %s?)", near)
	}
	d.add(pos(key), path, "unknown field%s; known fields: %s", hint, strings.Join(names, ", "))
}

// nearest is the name closest to the misspelt word, ignoring case, dashes
// and underscores, if it is close enough to be a likely intent.
func nearest(word string, names []string) string {
	norm := func(s string) string {
		return strings.NewReplacer("_", "", "-", "").Replace(strings.ToLower(s))
	}
	best, bestDistance := "", 3
	for _, name := range names {
		if dist := editDistance(norm(word), norm(name)); dist < bestDistance {
			best, bestDistance = name, dist
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b (in bytes; the
// names are ASCII), capped at 100 bytes of input.
func editDistance(a, b string) int {
	a, b = a[:min(len(a), 100)], b[:min(len(b), 100)]
	row := make([]int, len(b)+1)
	for j := range row {
		row[j] = j
	}
	for i := 1; i <= len(a); i++ {
		diagonal := row[0]
		row[0] = i
		for j := 1; j <= len(b); j++ {
			substitution := diagonal
			if a[i-1] != b[j-1] {
				substitution++
			}
			diagonal = row[j]
			row[j] = min(row[j]+1, row[j-1]+1, substitution)
		}
	}
	return row[len(b)]
}

// sequence decodes the list n item by item; an empty list is nil.
func sequence[T any](d *decoder, n *yaml.Node, path, want string, item func(d *decoder, n *yaml.Node, path string, dst *T)) []T {
	if n.Kind != yaml.SequenceNode {
		d.wrongType(n, path, want)
		return nil
	}
	var out []T
	for i, c := range n.Content {
		at := fmt.Sprintf("%s[%d]", path, i)
		if c = d.value(c, at); c == nil {
			return out
		}
		d.where[at] = pos(c)
		var t T
		item(d, c, at, &t)
		out = append(out, t)
	}
	return out
}

// scalar reports whether n is a scalar with one of tags, and records an
// error if not.
func (d *decoder) scalar(n *yaml.Node, path, want string, tags ...string) bool {
	if n.Kind == yaml.ScalarNode && slices.Contains(tags, n.ShortTag()) {
		return true
	}
	d.wrongType(n, path, want)
	return false
}

// nodeID decodes a node id, one item of a list of them.
func (d *decoder) nodeID(n *yaml.Node, path string, dst *nodes.ID) { decodeInt(d, n, path, dst) }

// decodeInt decodes an integer that fits an int; a float is not one.
func decodeInt[T ~int](d *decoder, n *yaml.Node, path string, dst *T) {
	var v int
	if !d.scalar(n, path, "an integer", "!!int") {
		return
	}
	if err := n.Decode(&v); err != nil {
		d.add(pos(n), path, "%s is out of range", n.Value)
		return
	}
	*dst = T(v)
}

// wrongType records a value of the wrong kind.
func (d *decoder) wrongType(n *yaml.Node, path, want string) {
	d.add(pos(n), path, "want %s, got %s", want, describe(n))
}

// describe names the kind and value of n for an error message.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
	default:
		return "an alias"
	}
	value := n.Value
	if len(value) > 40 {
		value = value[:40] + "..."
	}
	switch n.ShortTag() {
	case "!!str":
		return fmt.Sprintf("the string %q", value)
	case "!!int":
		return "the integer " + value
	case "!!float":
		return "the number " + value
	case "!!bool":
		return value
	case "!!null":
		return "nothing (null)"
	}
	return fmt.Sprintf("a value tagged %s", n.ShortTag())
}

// Checks after decoding.

// faultTargets lists which of node, nodes, groups, from and to each action
// reads (the others read none). Fault.validate checks delay, duration,
// factor and disk; a file must not set a target the action ignores either:
// a node on a heal is a mistake, not a no-op.
var faultTargets = map[Action][]string{
	ActPartition: {"groups"},
	ActBridge:    {"node"},
	ActIsolate:   {"node"},
	ActPause:     {"node"},
	ActDrift:     {"node"},
	ActCrash:     {"node", "nodes"},
	ActRestart:   {"node", "nodes"},
	ActCut:       {"from", "to"},
	ActClog:      {"from", "to"},
	// The new leader (random when unset).
	ActTransferLeader: {"node"},
}

// checkTargets rejects the node fields a fault sets but its action ignores.
func (d *decoder) checkTargets(faults []Fault) {
	for i, f := range faults {
		if !slices.Contains(Actions, f.Action) {
			continue // Validate names the unknown action
		}
		targets := []struct {
			name string
			set  bool
		}{{"node", f.Node != 0}, {"nodes", len(f.Nodes) > 0}, {"groups", len(f.Groups) > 0}, {"from", f.From != 0}, {"to", f.To != 0}}
		for _, t := range targets {
			if t.set && !slices.Contains(faultTargets[f.Action], t.name) {
				path := fmt.Sprintf("faults[%d].%s", i, t.name)
				hint := ""
				if f.Action == ActTransferLeader && t.name == "to" {
					hint = "; the new leader is node"
				}
				d.add(d.at(path), path, "%s does not use %s (only %s do)%s", f.Action, t.name, actionsUsing(t.name), hint)
			}
		}
	}
}

// actionsUsing lists the actions that read target, for an error message.
func actionsUsing(target string) string {
	var names []string
	for _, a := range Actions {
		if slices.Contains(faultTargets[a], target) {
			names = append(names, string(a))
		}
	}
	return strings.Join(names, ", ")
}

// checkLinks rejects a link whose end is no node of the run (0 means any).
func (d *decoder) checkLinks(s Scenario) {
	last := s.Servers + s.Clients
	for i, l := range s.Network.Links {
		for _, end := range []struct {
			name string
			id   nodes.ID
		}{{"from", l.From}, {"to", l.To}} {
			if int(end.id) > last && last >= 1 {
				path := fmt.Sprintf("network.links[%d].%s", i, end.name)
				d.add(d.at(path), path, "node %d is outside 0..%d (0 is any node, 1..%d the servers, the rest clients)", end.id, last, s.Servers)
			}
		}
	}
}

// cuts reports whether a partitions, cuts or clogs links (what a heal
// undoes).
func cuts(a Action) bool {
	switch a {
	case ActPartition, ActPartitionHalves, ActPartitionRandomHalves, ActPartitionMajority,
		ActPartitionLeaderMinority, ActBridge, ActMajoritiesRing, ActIsolate, ActIsolateLeader, ActCut, ActClog:
		return true
	}
	return false
}

// checkHeals plays the schedule in time order (as Run does) and rejects a
// heal when no partition, cut or clog is in place: a sign of times mixed
// up. A heal followed at the same instant by a new partition (heal, then
// re-partition) is fine.
func (d *decoder) checkHeals(faults []Fault) {
	order := make([]int, len(faults))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(faults[a].At, faults[b].At) })
	cut := false
	for k, i := range order {
		f := faults[i]
		switch {
		case cuts(f.Action):
			cut = true
		case f.Action == ActHeal:
			if !cut && !cutsAt(faults, order[k+1:], f.At) {
				d.add(d.at(fmt.Sprintf("faults[%d].action", i)), fmt.Sprintf("faults[%d]", i),
					"heal at %v, but nothing is partitioned, cut or clogged then%s", f.At, nextCut(faults, order[k+1:]))
			}
			cut = false
		}
	}
}

// cutsAt reports whether one of the faults (by index) cuts at time at.
func cutsAt(faults []Fault, indexes []int, at time.Duration) bool {
	return slices.ContainsFunc(indexes, func(i int) bool { return faults[i].At == at && cuts(faults[i].Action) })
}

// nextCut names the first later fault that cuts, as a hint.
func nextCut(faults []Fault, indexes []int) string {
	for _, i := range indexes {
		if cuts(faults[i].Action) {
			return fmt.Sprintf(" (the first %s comes later, at %v)", faults[i].Action, faults[i].At)
		}
	}
	return ""
}

// checkValidate places every error of s.Validate at the field it names.
func (d *decoder) checkValidate(s Scenario) {
	err := s.Validate()
	if err == nil {
		return
	}
	errs := []error{err}
	if joined, ok := err.(interface{ Unwrap() []error }); ok {
		errs = joined.Unwrap()
	}
	for _, e := range errs {
		path, msg := splitField(e.Error())
		at := d.at(path)
		// "faults[2]: at 5s is inside ..." is about faults[2].at.
		if word, _, _ := strings.Cut(msg, " "); path != "" {
			if p, ok := d.where[join(path, word)]; ok {
				at = p
			}
		}
		d.add(at, path, "%s", msg)
	}
}

// fieldPath matches one segment of a field path as Validate writes it
// ("faults[1]", "network.links[0].from/to").
var fieldPath = regexp.MustCompile(`^[a-z_]+(\[\d+\])*(\.[a-z_/]+(\[\d+\])*)*$`)

// splitField splits "faults[1]: node: node 9 is outside ..." into the
// field path "faults[1].node" and the message.
func splitField(text string) (string, string) {
	var segments []string
	for {
		head, tail, ok := strings.Cut(text, ": ")
		if !ok || !fieldPath.MatchString(head) {
			return strings.Join(segments, "."), text
		}
		segments = append(segments, head)
		text = tail
	}
}

// at is the position of the field path, or of the nearest enclosing field
// the file sets, or of the top of the file.
func (d *decoder) at(path string) position {
	for {
		if p, ok := d.where[path]; ok {
			return p
		}
		if path == "" {
			return position{line: 1}
		}
		path = parent(path)
	}
}

// parent strips the last segment of a field path: "a.b[2]" -> "a.b" -> "a" -> "".
func parent(path string) string {
	if strings.HasSuffix(path, "]") {
		return path[:strings.LastIndexByte(path, '[')]
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}
