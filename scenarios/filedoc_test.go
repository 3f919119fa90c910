package scenarios

import (
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// update rewrites docs/scenario-file.md (go generate ./scenarios).
var update = flag.Bool("update", false, "rewrite docs/scenario-file.md from FieldReference")

// fieldReferencePath is the committed field reference, from this package.
var fieldReferencePath = filepath.Join("..", "docs", "scenario-file.md")

func TestEveryFieldAndActionHasItsSentenceAndNoMore(t *testing.T) {
	var paths []string
	for _, e := range referenceEntries() {
		paths = append(paths, e.path)
		assert.Contains(t, fieldDocs, e.path, "the decoder accepts %s: say what it means in fieldDocs (filedoc.go), then go generate ./scenarios", e.path)
		assert.NotEmpty(t, e.field.kind, "field %s: its constructor in file.go sets no kind", e.path)
	}
	for path := range fieldDocs {
		assert.Contains(t, paths, path, "fieldDocs describes %s, which the decoder does not accept", path)
	}
	for _, a := range Actions {
		assert.Contains(t, actionDocs, a, "action %s: say what it does in actionDocs (filedoc.go)", a)
	}
	for a := range actionDocs {
		assert.Contains(t, Actions, a, "actionDocs describes %s, which is no action", a)
	}
}

func TestFieldReferenceIsCurrent(t *testing.T) {
	want := FieldReference()
	if *update {
		require.NoError(t, os.WriteFile(fieldReferencePath, want, 0o644))
	}
	got, err := os.ReadFile(fieldReferencePath)
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "docs/scenario-file.md is out of date: run go generate ./scenarios")
}

// TestFieldReferenceNamesWhatTheIssueFoundUndocumented checks, by example,
// that the fields and defaults of a real file are in the reference: the
// four that were documented nowhere, a nested one, a list item's, and an
// action.
func TestFieldReferenceNamesWhatTheIssueFoundUndocumented(t *testing.T) {
	page := string(FieldReference())
	for _, row := range []string{
		"| `keep_faults` | true or false | `false` |",
		"| `key_distribution` | a string | `\"\"` |",
		"| `reorder_delay_max` | a duration | `0s` |",
		"| `backoff` | a duration | `20ms` |",
		"| `mix` | a mapping | `{get: 40, put: 25, append: 25, cas: 10}` |",
		"| `node` | an integer | `0` |",
		"| `transfer-leader` | `node` |",
		"## `network.links[]`: each item",
	} {
		assert.Contains(t, page, row)
	}
	// Every field the canonical form of a named scenario writes is in it.
	data, err := MarshalScenario(Base())
	require.NoError(t, err)
	for _, line := range strings.Split(string(data), "\n") {
		key, _, found := strings.Cut(strings.TrimSpace(line), ":")
		if !found || strings.HasPrefix(key, "#") || strings.ContainsAny(key, "{[") {
			continue
		}
		assert.True(t, slices.ContainsFunc(strings.Split(page, "\n"), func(l string) bool {
			return strings.HasPrefix(l, "| `"+key+"` |")
		}), "field %s", key)
	}
}
