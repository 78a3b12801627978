# Sourced by the text command-line tests that check verdicts with python3
# (tests/cli/text_whose_data.sh, tests/cli/text_participants.sh): their shared preamble.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/text_lib.sh"
#   text_test_init "$@"
# text_test_init CG ROOT: sets CG (the program) and ROOT (the source tree) from the test's
# arguments, turns on `set -u`, makes tmp (removed at exit) and skips (exit 77, naming it) when
# python3 is missing. The checks stay in each test.

text_test_init() {
    set -u
    CG=$1
    ROOT=$2
    command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
}

