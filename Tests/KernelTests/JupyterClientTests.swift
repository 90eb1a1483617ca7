import Foundation
import TestSupport
import XCTest

/// The kernel driven by Jupyter's own client libraries: each test runs one test of
/// `jupyter/kernel_test.py` (jupyter_client, nbclient, nbformat from the .venv) against the
/// built `cnnb` executable.
final class JupyterClientTests: XCTestCase {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("jupyter/kernel_test.py").path

    private func runJupyter(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let binary = try CnnbBinary.path()
        try Python.require(["jupyter_client", "nbclient", "nbformat", "zmq"])
        let result = try XCTUnwrap(Python.run([Self.script, "-v", "KernelTests." + name],
                                              environment: ["CNNB_BINARY": binary], timeout: 300))
        XCTAssertEqual(result.status, 0, "\(name) failed:\n\(result.stderr)\(result.stdout)", file: file, line: line)
    }

    func testKernelInfo() throws { try runJupyter("test_kernel_info") }
    func testKernelspecInstallListUninstall() throws { try runJupyter("test_kernelspec_install_list_uninstall") }
    func testExecuteMessagesAndParents() throws { try runJupyter("test_execute_messages_and_parents") }
    func testExecutionCount() throws { try runJupyter("test_execution_count") }
    func testCompletion() throws { try runJupyter("test_completion") }
    func testInspect() throws { try runJupyter("test_inspect") }
    func testHelpAndVarsCells() throws { try runJupyter("test_help_and_vars_cells") }
    func testIsComplete() throws { try runJupyter("test_is_complete") }
    func testErrorCell() throws { try runJupyter("test_error_cell") }
    func testStopOnErrorAbortsQueuedCells() throws { try runJupyter("test_stop_on_error_aborts_queued_cells") }
    func testRichOutput() throws { try runJupyter("test_rich_output") }
    func testLiveTrainingDisplay() throws { try runJupyter("test_live_training_display") }
    func testInterruptRequestDuringFit() throws { try runJupyter("test_interrupt_request_during_fit") }
    func testSigintDuringFit() throws { try runJupyter("test_sigint_during_fit") }
    func testInterruptRequestDuringLoad() throws { try runJupyter("test_interrupt_request_during_load") }
    func testInterruptRequestDuringDownload() throws { try runJupyter("test_interrupt_request_during_download") }
    func testDownloadProgressUpdatesInPlace() throws { try runJupyter("test_download_progress_updates_in_place") }
    func testAllowWriteThroughTheKernelspec() throws { try runJupyter("test_allow_write_through_the_kernelspec") }
    func testKernelExitsWhenItsParentDies() throws { try runJupyter("test_kernel_exits_when_its_parent_dies") }
    func testRestart() throws { try runJupyter("test_restart") }
    func testShutdown() throws { try runJupyter("test_shutdown") }
    func testHistoryAndCommInfo() throws { try runJupyter("test_history_and_comm_info") }
    func testWrongSignatureIsDropped() throws { try runJupyter("test_wrong_signature_is_dropped") }
    func testTenExecutesWhileBusyInOrder() throws { try runJupyter("test_ten_executes_while_busy_in_order") }
    func testNbclientRunsQuickNotebook() throws { try runJupyter("test_nbclient_runs_quick_notebook") }
    func testConvertRoundTrip() throws { try runJupyter("test_convert_round_trip") }
    func testRunIpynbWritesReportForTheKernel() throws { try runJupyter("test_run_ipynb_writes_report_for_the_kernel") }
    func testMalformedConnectionFile() throws { try runJupyter("test_malformed_connection_file") }
    func testPortInUse() throws { try runJupyter("test_port_in_use") }
    func testInvalidUTF8Cell() throws { try runJupyter("test_invalid_utf8_cell") }
    func testClientVanishesMidExecution() throws { try runJupyter("test_client_vanishes_mid_execution") }

    /// Every test in the script has a method here, so none is silently left out.
    func testEveryScriptTestIsRun() throws {
        let tests = try ScriptTests.unrun(script: Self.script, callerFile: #filePath, runner: "runJupyter")
        XCTAssertFalse(tests.all.isEmpty)
        XCTAssertEqual(tests.unrun, [], "tests in \(Self.script) with no XCTest method")
    }
}
