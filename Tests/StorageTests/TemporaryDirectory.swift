import Foundation

/// A fresh folder under the system temp directory, removed by `remove()`.
struct TemporaryDirectory {
    let path: String

    init() {
        path = NSTemporaryDirectory() + "stowage-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func remove() { try? FileManager.default.removeItem(atPath: path) }

    func files(in folder: String) -> [String] {
        (try? FileManager.default.subpathsOfDirectory(atPath: path + "/" + folder))?.filter {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: path + "/" + folder + "/" + $0, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        } ?? []
    }
}
