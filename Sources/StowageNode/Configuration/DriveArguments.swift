/// Expands drive arguments: `/mnt/disk{1...8}` is eight folders, `/d{1...2}/x{1...2}` four
/// (every combination, left to right), and plain folders stand for themselves. Ranges may be
/// zero-padded (`{01...16}`).
package enum DriveArguments {
    package struct ExpansionError: Error, CustomStringConvertible {
        package var description: String
    }

    package static func expand(_ arguments: [String]) throws -> [String] {
        var drives: [String] = []
        for argument in arguments { drives += try expand(argument) }
        var seen = Set<String>()
        for drive in drives where !seen.insert(drive).inserted {
            throw ExpansionError(description: "drive \(drive) is given twice")
        }
        return drives
    }

    static func expand(_ argument: String) throws -> [String] {
        guard let open = argument.firstIndex(of: "{") else { return [argument] }
        guard let close = argument[open...].firstIndex(of: "}") else {
            throw ExpansionError(description: "\(argument): '{' without '}'")
        }
        let inner = argument[argument.index(after: open)..<close]
        guard let dots = inner.firstRange(of: "..."), let low = Int(inner[..<dots.lowerBound]),
            let high = Int(inner[dots.upperBound...]), low >= 0, low <= high, high - low < 10_000
        else {
            throw ExpansionError(description: "\(argument): expected {FIRST...LAST}, e.g. {1...4}")
        }
        let first = inner[..<dots.lowerBound]
        let width = first.hasPrefix("0") && first.count > 1 ? first.count : 0
        let head = String(argument[..<open])
        let tails = try expand(String(argument[argument.index(after: close)...]))
        var result: [String] = []
        for value in low...high {
            var number = String(value)
            while number.count < width { number = "0" + number }
            for tail in tails { result.append(head + number + tail) }
        }
        return result
    }
}
