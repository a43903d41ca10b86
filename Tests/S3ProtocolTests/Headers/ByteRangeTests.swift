import S3Protocol
import Testing

@Suite("ByteRange")
struct ByteRangeTests {
    @Test(
        "well-formed single ranges select bytes, clamped to the object",
        arguments: [
            ("bytes=0-9", Int64(100), Int64(0), Int64(9)),
            ("bytes=0-0", 100, 0, 0),
            ("bytes=99-99", 100, 99, 99),
            ("bytes=10-", 100, 10, 99),
            ("bytes=0-", 1, 0, 0),
            ("bytes=50-1000", 100, 50, 99),
            ("bytes=0-99999999999999999999999", 100, 0, 99),  // saturates, then clamps
            ("bytes=-10", 100, 90, 99),
            ("bytes=-100", 100, 0, 99),
            ("bytes=-1000", 100, 0, 99),
            ("bytes=-1", 1, 0, 0),
            ("Bytes=1-2", 100, 1, 2),
            ("BYTES = 1-2", 100, 1, 2),
            ("  bytes= 3-4  ", 100, 3, 4),
            ("bytes=0-5368709119", 10_737_418_240, 0, 5_368_709_119),
        ])
    func satisfiable(header: String, size: Int64, first: Int64, last: Int64) {
        #expect(ByteRange.evaluate(header, size: size) == .range(first...last))
    }

    @Test(
        "ranges that select no byte are unsatisfiable (416 InvalidRange)",
        arguments: [
            ("bytes=100-", Int64(100)),
            ("bytes=100-200", 100),
            ("bytes=1000-", 100),
            ("bytes=99999999999999999999999-", 100),
            ("bytes=-0", 100),
            ("bytes=0-", 0),
            ("bytes=0-0", 0),
            ("bytes=-5", 0),
            ("bytes=-0", 0),
        ])
    func unsatisfiable(header: String, size: Int64) {
        #expect(ByteRange.evaluate(header, size: size) == .unsatisfiable)
    }

    @Test(
        "malformed, multi-range or non-byte headers are ignored and the whole object is served",
        arguments: [
            "", "bytes", "bytes=", "bytes=-", "bytes=a-b", "bytes=1-a", "bytes=5-2", "bytes=+1-2", "bytes=1--2",
            "bytes=--1", "bytes=1 -2", "bytes=0-1,2-3", "bytes=0-1,", "bytes=-1,-2", "items=0-1", "0-1",
            "bytes 0-1", "bytes=0x1-2", "bytes=１-２",
        ])
    func ignored(header: String) {
        #expect(ByteRange.evaluate(header, size: 100) == .full)
        #expect(ByteRange.evaluate(header, size: 0) == .full)
    }
}
