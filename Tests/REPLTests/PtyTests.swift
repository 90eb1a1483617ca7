import Foundation
import TestSupport
import XCTest

/// The interactive session on a real pseudo-terminal: each test runs one test of
/// `pty/repl_pty_test.py` (Python with pexpect) against the built `cnnb` executable.
final class PtyTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("pty/repl_pty_test.py").path

    private func runPty(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let binary = try CnnbBinary.path()
        try Python.require(["pexpect"])
        let result = try Process.outcome(Python.executable, [Self.script, "-v", "ReplPtyTests." + name],
                                         environment: ["CNNB_BINARY": binary], timeout: 240)
        XCTAssertEqual(result.status, 0, "\(name) failed:\n\(result.stderr)\(result.stdout)", file: file, line: line)
    }

    func testBannerThenPromptAndCtrlDQuits() throws { try runPty("test_banner_then_prompt_and_ctrl_d_quits") }
    func testTabCompletesConToConv() throws { try runPty("test_tab_completes_con_to_conv") }
    func testTabCompletesVariablesAndMembers() throws { try runPty("test_tab_completes_variables_and_members") }
    func testTabCompletesAfterAssignmentCommandsAndPaths() throws { try runPty("test_tab_completes_after_assignment_commands_and_paths") }
    func testFigurePreviewInAColourTerminal() throws { try runPty("test_figure_preview_in_a_colour_terminal") }
    func testLiveProgressFitsANarrowTerminal() throws { try runPty("test_live_progress_fits_a_narrow_terminal") }
    func testNoEscapeSequencesUnderNoColor() throws { try runPty("test_no_escape_sequences_under_no_color") }
    func testFiguresInlineByTheTerminalsOwnProtocol() throws { try runPty("test_figures_inline_by_the_terminals_own_protocol") }
    func testTwoLineBlock() throws { try runPty("test_two_line_block") }
    func testHistoryKeptAcrossTwoRuns() throws { try runPty("test_history_kept_across_two_runs") }
    func testHistoryFileKeepsTheLastEntries() throws { try runPty("test_history_file_keeps_the_last_entries") }
    func testFailingStatementKeepsEarlierValues() throws { try runPty("test_failing_statement_keeps_earlier_values") }
    func testCtrlCAtPromptClearsLine() throws { try runPty("test_ctrl_c_at_prompt_clears_line") }
    func testCtrlCAbandonsABlock() throws { try runPty("test_ctrl_c_abandons_a_block") }
    func testSaveThenRunGivesSameOutput() throws { try runPty("test_save_then_run_gives_same_output") }
    func testCtrlCStopsFitAndKeepsTheModel() throws { try runPty("test_ctrl_c_stops_fit_and_keeps_the_model") }
    func testCtrlCStopsLoadAndKeepsTheSession() throws { try runPty("test_ctrl_c_stops_load_and_keeps_the_session") }
    func testCtrlCStopsADownload() throws { try runPty("test_ctrl_c_stops_a_download") }

    /// Every test in the script has a method here, so none is silently left out.
    func testEveryScriptTestIsRun() throws {
        let tests = try ScriptTests.unrun(script: Self.script, callerFile: #filePath, runner: "runPty")
        XCTAssertFalse(tests.all.isEmpty)
        XCTAssertEqual(tests.unrun, [], "tests in \(Self.script) with no XCTest method")
    }
}
