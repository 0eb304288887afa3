#!/bin/sh
# Benchmark fixture: a Claude-style CLI that prints one result JSON line and exits, at the cost
# of a /bin/sh start (~1 ms), so that the runtime's own cost is not lost in the fixture's.
#   fixture-cli.sh [-p] [--output-format F] [--session-id ID | --resume ID] [--model M] [--] PROMPT
# BENCH_SLEEP=<s>  sleep before answering (requests in flight, serialization)
# BENCH_LOG=<file> append "start <prompt>" and "end <prompt>" lines (order and overlap checks)
sid=no-session
while [ $# -gt 0 ]; do
  case "$1" in
    --session-id|--resume) sid="$2"; shift 2 ;;
    --model|--output-format) shift 2 ;;
    --) shift; break ;;
    *) [ $# -eq 1 ] && break; shift ;;
  esac
done
prompt="$1"
[ -n "$BENCH_LOG" ] && echo "start $prompt" >> "$BENCH_LOG"
[ -n "$BENCH_SLEEP" ] && sleep "$BENCH_SLEEP"
[ -n "$BENCH_LOG" ] && echo "end $prompt" >> "$BENCH_LOG"
printf '{"type":"result","subtype":"success","is_error":false,"result":"ok: %s","session_id":"%s","usage":{"input_tokens":10,"output_tokens":5}}\n' "$prompt" "$sid"
