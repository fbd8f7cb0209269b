#!/usr/bin/env bash
# Extract every text marked for translation (_, ngettext, N_, lazy) from Home.py, pages/ and explorer/, and update the
# Chinese catalog with them: then translate what is new (an empty msgstr) or marked fuzzy in
# explorer/locale/zh_CN/LC_MESSAGES/explorer.po. tests/test_language.py fails while any is left.
# The app compiles the catalog in memory when it first needs it (explorer/language.py): nothing else to run.
set -euo pipefail
cd "$(dirname "$0")/.."
template="$(mktemp --suffix=.pot)"
trap 'rm -f "$template"' EXIT
.venv/bin/pybabel extract -F babel.cfg --no-location --sort-output --project="ResNet Explorer" \
    --msgid-bugs-address="" --copyright-holder="" -k lazy -o "$template" Home.py pages explorer
if [ -f explorer/locale/zh_CN/LC_MESSAGES/explorer.po ]; then
    .venv/bin/pybabel update -i "$template" -d explorer/locale -D explorer -l zh_CN --ignore-obsolete
else
    .venv/bin/pybabel init -i "$template" -d explorer/locale -D explorer -l zh_CN
fi
