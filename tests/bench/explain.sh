#!/usr/bin/env bash
# Prints EXPLAIN for the list query's shapes (first page, deep page, env
# scope, filtered) against a loaded benchmark database.
# usage: tests/bench/explain.sh MYSQLD_SOCKET DATABASE [TEAM_HEX]
# (tests/integration/test_list.py runs it and fails on any sort, temporary
# table or join buffer in these plans)
set -euo pipefail
cd "$(dirname "$0")/../.."
S=$1 DB=$2
q() { mariadb --no-defaults -S "$S" -uroot "$DB" -N -e "$1"; }
TEAM=${3:-$(q "SELECT HEX(team_id) FROM environment_integration GROUP BY team_id LIMIT 1")}
ENV=$(q "SELECT HEX(environment_id) FROM environment_integration WHERE team_id = UNHEX('$TEAM') LIMIT 1")
LAST=$(q "SELECT CONCAT(created_at, '|', HEX(id)) FROM environment_integration WHERE team_id = UNHEX('$TEAM') ORDER BY created_at DESC, id DESC LIMIT 50, 1")
C=${LAST%|*} I=${LAST#*|}
# the select list exactly as db/stmt.c has it, markers filled with the team
SEL=$(python3 - <<PY
import re
s = open("db/stmt.c").read()
body = re.search(r"#define EI_SELECT_WITH\\(ov\\) \\\\\n(.*?)\n\n", s, re.S).group(1)
body = body.replace('" ov "', 'ei.override')
sql = "".join(re.findall(r'"((?:[^"\\\\]|\\\\.)*)"', body))
sql = sql.replace("(? = 0 OR", "(0 = 0 OR").replace("?", "UNHEX('$TEAM')")
print(sql)
PY
)
KEYSET="(ei.created_at > '$C' OR (ei.created_at = '$C' AND ei.id > UNHEX('$I')))"
for W in "ei.team_id = UNHEX('$TEAM')" \
	"ei.team_id = UNHEX('$TEAM') AND $KEYSET" \
	"ei.team_id = UNHEX('$TEAM') AND ei.environment_id = UNHEX('$ENV')" \
	"ei.team_id = UNHEX('$TEAM') AND ei.environment_id = UNHEX('$ENV') AND $KEYSET" \
	"ei.team_id = UNHEX('$TEAM') AND ei.is_enabled = 1 AND i.category = 'crm'"; do
	echo "== WHERE ${W:0:110}"
	mariadb --no-defaults -S "$S" -uroot "$DB" -e "EXPLAIN $SEL WHERE $W ORDER BY ei.created_at, ei.id LIMIT 101" | cut -f1-10
done
