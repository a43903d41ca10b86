import StowageNode
import Testing

@Suite("Drive arguments")
struct DriveArgumentsTests {
    @Test("Expansion notation yields every folder, in order")
    func expansion() throws {
        #expect(try DriveArguments.expand(["/mnt/disk{1...4}"]) == ["/mnt/disk1", "/mnt/disk2", "/mnt/disk3", "/mnt/disk4"])
        #expect(try DriveArguments.expand(["/d{1...2}/x{1...2}"]) == ["/d1/x1", "/d1/x2", "/d2/x1", "/d2/x2"])
        #expect(try DriveArguments.expand(["/m/{08...10}"]) == ["/m/08", "/m/09", "/m/10"])
        #expect(try DriveArguments.expand(["a", "b", "/c{1...1}"]) == ["a", "b", "/c1"])
    }

    @Test("Malformed or duplicated drives are refused")
    func refused() {
        for bad in [["/d{1..4}"], ["/d{4...1}"], ["/d{1...4"], ["/d{a...b}"], ["/x", "/x"], ["/d{1...2}", "/d2"]] {
            #expect(throws: DriveArguments.ExpansionError.self, "\(bad)") { try DriveArguments.expand(bad) }
        }
    }
}
