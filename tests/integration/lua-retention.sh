#!/bin/sh
# Direct tests of the operations of src/lua/retention.lua against a private
# redis-server, called as civicastd calls them (EVALSHA sha 0 prefix op
# args...): see tests/luaops.py.
. "$top_srcdir/tests/lib.sh"
redis_start
python3 "$top_srcdir/tests/luaops.py" retention "$REDIS_SOCK" "$top_srcdir" ||
    fail "retention.lua operations"
