package import Foundation

/// A fresh folder under the system temp directory for one test; `remove()` deletes it.
package struct TemporaryDirectory: Sendable {
    package let path: String

    package init() {
        path = NSTemporaryDirectory() + "stowage-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    package func remove() { try? FileManager.default.removeItem(atPath: path) }

    /// Regular files below `folder` (relative paths).
    package func files(in folder: String) -> [String] {
        (try? FileManager.default.subpathsOfDirectory(atPath: path + "/" + folder))?.filter {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: path + "/" + folder + "/" + $0, isDirectory: &isDirectory)
            return !isDirectory.boolValue
        } ?? []
    }
}
