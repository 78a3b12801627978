# Sourced by the command-line tests whose checks need python3 (text_whose_data.sh,
# text_participants.sh, cli_docs.sh, decisions.sh): their shared preamble.
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/python_test.sh"
#   python_test_init "$@"
# python_test_init CG ROOT: sets CG (the program) and ROOT (the source tree) from the test's
# arguments, turns on `set -u`, skips (exit 77, naming it) when python3 is missing, and makes
# tmp, removed at exit (a test that ends with `exec` skips that: run the last command plainly).
# The checks stay in each test.

python_test_init() {
    set -u
    CG=$1
    ROOT=$2
    command -v python3 >/dev/null || { echo "SKIPPED: python3 missing"; exit 77; }
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
}
