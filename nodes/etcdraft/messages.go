package etcdraft

import (
	"fmt"
	"strings"

	pb "go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// Message carries one raftpb.Message between adapters. It is a value: the
// protobuf is marshalled into an immutable string at send time, so a
// duplicated delivery hands the same bytes to each receiver, and no node
// holds a pointer into another's memory. The summary fields are for traces.
type Message struct {
	Type    pb.MessageType
	Term    uint64
	LogTerm uint64
	Index   uint64
	Commit  uint64
	Entries int
	Reject  bool
	raw     string
}

// Kind names the message in traces, e.g. "etcd.MsgApp".
func (m Message) Kind() string { return "etcd." + m.Type.String() }

func (m Message) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s term=%d", m.Type, m.Term)
	if m.Index != 0 || m.LogTerm != 0 {
		fmt.Fprintf(&b, " index=%d logterm=%d", m.Index, m.LogTerm)
	}
	if m.Entries > 0 {
		fmt.Fprintf(&b, " entries=%d", m.Entries)
	}
	if m.Commit != 0 {
		fmt.Fprintf(&b, " commit=%d", m.Commit)
	}
	if m.Reject {
		b.WriteString(" reject")
	}
	return b.String()
}

var marshal = proto.MarshalOptions{Deterministic: true}

// wrap marshals m into a Message.
func wrap(m *pb.Message) Message {
	raw, err := marshal.Marshal(m)
	if err != nil {
		panic(fmt.Sprintf("etcdraft: marshal %v: %v", m.GetType(), err))
	}
	return Message{
		Type:    m.GetType(),
		Term:    m.GetTerm(),
		LogTerm: m.GetLogTerm(),
		Index:   m.GetIndex(),
		Commit:  m.GetCommit(),
		Entries: len(m.GetEntries()),
		Reject:  m.GetReject(),
		raw:     string(raw),
	}
}

// unwrap decodes a fresh raftpb.Message, owned by the receiver.
func (m Message) unwrap() (*pb.Message, error) {
	out := &pb.Message{}
	if err := proto.Unmarshal([]byte(m.raw), out); err != nil {
		return nil, err
	}
	return out, nil
}
