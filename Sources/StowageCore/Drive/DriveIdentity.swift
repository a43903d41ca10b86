/// Who a drive is: written into its format record on first start, checked on every start.
///
/// A drive belongs to one deployment and sits at one position of one erasure set. A drive from
/// another deployment, or one moved to another slot, is recognised by this record.
package struct DriveIdentity: Codable, Sendable, Equatable {
    package var deploymentID: String
    package var driveID: String
    package var setIndex: Int
    package var position: Int
    package var setCount: Int
    package var drivesPerSet: Int

    package init(deploymentID: String, driveID: String, setIndex: Int, position: Int, setCount: Int, drivesPerSet: Int) {
        self.deploymentID = deploymentID
        self.driveID = driveID
        self.setIndex = setIndex
        self.position = position
        self.setCount = setCount
        self.drivesPerSet = drivesPerSet
    }

    /// "set 0, drive 3 of 4 (deployment …)".
    package var slotDescription: String {
        "set \(setIndex), drive \(position) of \(drivesPerSet) (deployment \(deploymentID))"
    }
}
