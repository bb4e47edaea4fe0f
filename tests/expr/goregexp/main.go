// Command goregexp regenerates tests/expr/data/go_regexp_cases.json: it runs every case of the
// table through Go's own regexp package and stores the result as the case's "expect".
// Standard library only (no network): cd tests/expr/goregexp && go run . ../data/go_regexp_cases.json
package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
)

type testCase struct {
	Op      string         `json:"op"`
	Pattern string         `json:"pattern"`
	S       string         `json:"s,omitempty"`
	N       int            `json:"n,omitempty"`
	Repl    string         `json:"repl,omitempty"`
	Expect  map[string]any `json:"expect"`
}

func run(c testCase) map[string]any {
	if c.Op == "quote" {
		return map[string]any{"value": regexp.QuoteMeta(c.S)}
	}
	re, err := regexp.Compile(c.Pattern)
	if err != nil {
		return map[string]any{"error": err.Error()}
	}
	var v any
	switch c.Op {
	case "compile":
		v = true
	case "match":
		v = re.MatchString(c.S)
	case "find":
		v = re.FindString(c.S)
	case "findall":
		v = re.FindAllString(c.S, c.N)
	case "replace":
		v = re.ReplaceAllString(c.S, c.Repl)
	case "replaceliteral":
		v = re.ReplaceAllLiteralString(c.S, c.Repl)
	case "split":
		v = re.Split(c.S, c.N)
	default:
		panic(fmt.Sprintf("unknown op %q", c.Op))
	}
	return map[string]any{"value": v}
}

func main() {
	path := os.Args[1]
	data, err := os.ReadFile(path)
	if err != nil {
		panic(err)
	}
	var cases []testCase
	if err := json.Unmarshal(data, &cases); err != nil {
		panic(err)
	}
	var out bytes.Buffer
	out.WriteString("[\n")
	for i, c := range cases {
		c.Expect = run(c)
		line, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		out.Write(line)
		if i < len(cases)-1 {
			out.WriteString(",")
		}
		out.WriteString("\n")
	}
	out.WriteString("]\n")
	if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
		panic(err)
	}
}
