// Every C++ snippet in README.md and docs/ is a region of a file the build compiles:
// tools/check-doc-snippets holds them equal. These cases run it on the tree's own docs,
// and on scratch documents that break each rule, so the check itself is seen to fail.
#include <boost/test/unit_test.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "tests/integration/run_program.hh"

namespace {

using sluice::testing::command_run;
using sluice::testing::run_command;
using sluice::testing::source_dir;

// Checks one scratch markdown document against the tree.
command_run check_document(const std::string& text) {
    const std::string path = "/tmp/sluice-snippets-" + std::to_string(getpid()) + ".md";
    std::ofstream(path) << text;
    const command_run run =
        run_command(source_dir() + "/tools/check-doc-snippets --root " + source_dir() + " " + path);
    std::filesystem::remove(path);
    return run;
}

const std::string hello_first_lines =
    "// hello: the smallest Sluice program (README.md and docs/user-guide.md show it whole).\n";

}  // namespace

BOOST_AUTO_TEST_SUITE(doc_snippets)

BOOST_AUTO_TEST_CASE(every_snippet_in_readme_and_docs_matches_a_compiled_file) {
    const command_run run = run_command(source_dir() + "/tools/check-doc-snippets");
    BOOST_TEST_CONTEXT(run.output) { BOOST_CHECK_EQUAL(run.exit_code, 0); }
}

BOOST_AUTO_TEST_CASE(a_snippet_that_differs_from_its_file_is_named_with_its_line) {
    const command_run run = check_document("# doc\n\n<!-- snippet: examples/snippets/named_lambda.cc#named-lambda -->\n"
                                           "```cpp\nauto work = [state] { return state.size(); };\n```\n");
    BOOST_CHECK_EQUAL(run.exit_code, 1);
    BOOST_TEST_CONTEXT(run.output) {
        BOOST_CHECK(run.output.find(".md:5: differs from examples/snippets/named_lambda.cc#named-lambda") !=
                    std::string::npos);
    }
}

BOOST_AUTO_TEST_CASE(a_cpp_block_without_a_source_is_refused) {
    const command_run run = check_document("```cpp\nint main() {}\n```\n");
    BOOST_CHECK_EQUAL(run.exit_code, 1);
    BOOST_CHECK_MESSAGE(run.output.find("snippet with no '<!-- snippet:") != std::string::npos, run.output);
}

BOOST_AUTO_TEST_CASE(a_source_no_meson_build_compiles_is_refused_until_one_does) {
    // A scratch tree of its own: one source, one document, and then the meson.build.
    const std::filesystem::path root = "/tmp/sluice-snippet-tree-" + std::to_string(getpid());
    std::filesystem::create_directories(root / "docs");
    std::ofstream(root / "program.cc") << "int main() {}\n";
    std::ofstream(root / "README.md") << "<!-- snippet: program.cc -->\n```cpp\nint main() {}\n```\n";
    const std::string check = source_dir() + "/tools/check-doc-snippets --root " + root.string();
    const command_run uncompiled = run_command(check);
    BOOST_CHECK_EQUAL(uncompiled.exit_code, 1);
    BOOST_CHECK_MESSAGE(uncompiled.output.find("program.cc is named in no meson.build") != std::string::npos,
                        uncompiled.output);
    std::ofstream(root / "meson.build") << "executable('program', 'program.cc')\n";
    const command_run compiled = run_command(check);
    BOOST_TEST_CONTEXT(compiled.output) { BOOST_CHECK_EQUAL(compiled.exit_code, 0); }
    std::filesystem::remove_all(root);
}

BOOST_AUTO_TEST_CASE(a_whole_file_snippet_must_be_the_whole_file) {
    const command_run shown_whole = check_document("<!-- snippet: examples/hello/hello.cc -->\n```cpp\n" +
                                                   hello_first_lines + "```\n");
    BOOST_CHECK_EQUAL(shown_whole.exit_code, 1);
    BOOST_CHECK_MESSAGE(shown_whole.output.find("the doc has '<nothing>'") != std::string::npos, shown_whole.output);
}

BOOST_AUTO_TEST_SUITE_END()
