import CNNG
import NNG
import XCTest

final class NNGErrorTests: XCTestCase {
    func testCodesMapByNumber() {
        let expected: [(Int32, NNGError.Code)] = [
            (5, .timedOut), (7, .closed), (17, .messageTooLarge), (20, .canceled),
            (6, .connectionRefused), (10, .addressInUse), (15, .invalidAddress), (11, .badState),
            (2, .outOfMemory), (3, .invalidArgument), (9, .notSupported), (12, .notFound),
            (31, .connectionShutdown), (1000, .internalError),
        ]
        for (number, code) in expected {
            XCTAssertEqual(NNGError.Code(rawValue: number), code, "code \(number)")
            XCTAssertEqual(code.rawValue, number, "\(code)")
        }
        XCTAssertEqual(NNGError.Code(rawValue: Int32(NNG_ETIMEDOUT.rawValue)), .timedOut)
    }

    func testEveryKnownNumberRoundTrips() {
        for number in Int32(1)...31 {
            let code = NNGError.Code(rawValue: number)
            XCTAssertNotEqual(code, .other(code: number), "number \(number) is unmapped")
            XCTAssertEqual(code.rawValue, number)
        }
    }

    func testSystemTransportAndUnknownCodes() {
        let sys = Int32(NNG_ESYSERR.rawValue) | 13
        XCTAssertEqual(NNGError.Code(rawValue: sys), .system(errno: 13))
        XCTAssertEqual(NNGError.Code.system(errno: 13).rawValue, sys)
        let tran = Int32(NNG_ETRANERR.rawValue) | 4
        XCTAssertEqual(NNGError.Code(rawValue: tran), .transport(code: 4))
        XCTAssertEqual(NNGError.Code(rawValue: 777), .other(code: 777))
        XCTAssertEqual(NNGError.Code.other(code: 777).rawValue, 777)
    }

    func testDescriptionNamesOperationAndNNGText() {
        let error = NNGError(.addressInUse, operation: "listen tcp://127.0.0.1:7400")
        XCTAssertEqual(error.description, "listen tcp://127.0.0.1:7400: Address in use")
        XCTAssertEqual(NNGError(rawValue: 5, operation: "rep0 recv").description, "rep0 recv: Timed out")
    }

    func testSocketErrorsCarryTheOperation() throws {
        let first = try Socket.replier(), second = try Socket.replier()
        defer { first.close(); second.close() }
        let url = try TestAddresses.listenTCP(first)
        do {
            try second.listen(url)
            XCTFail("second listen on \(url) succeeded")
        } catch let error as NNGError {
            XCTAssertEqual(error.code, .addressInUse)
            XCTAssertEqual(error.operation, "listen \(url)")
            XCTAssertEqual(error.description, "listen \(url): Address in use")
        }
    }
}
