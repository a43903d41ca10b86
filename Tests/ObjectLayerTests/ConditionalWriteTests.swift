import ObjectLayer
import StowageCore
import StowageTesting
import Testing

@Suite("Conditional writes")
struct ConditionalWriteTests {
    func put(_ fixture: ErasureFixture, _ key: String, _ data: [UInt8], _ condition: WriteCondition?) async throws -> ObjectRecord {
        var options = ObjectWriteOptions()
        options.condition = condition
        return try await fixture.store.putObject(
            bucket: "b", key: key, body: Pieces(data: data, piece: 4000), size: Int64(data.count), options: options)
    }

    @Test("Of many concurrent creates with If-None-Match exactly one commits, inline or sharded", arguments: [10, 30_000])
    func racingCreates(size: Int) async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        let winners = await withTaskGroup(of: Int?.self) { group in
            for index in 0..<16 {
                group.addTask {
                    do {
                        _ = try await put(fixture, "k", pattern(size, seed: index), .absent)
                        return index
                    } catch let error as ObjectLayerError {
                        #expect(error.code == .preconditionFailed)
                        return nil
                    } catch {
                        Issue.record("unexpected \(error)")
                        return nil
                    }
                }
            }
            var winners: [Int] = []
            for await winner in group { if let winner { winners.append(winner) } }
            return winners
        }
        #expect(winners.count == 1)
        #expect(try await fixture.get("k") == pattern(size, seed: winners[0]))
        // Losers left no shard files behind: one object's worth per drive at most.
        for position in 0..<4 { #expect(fixture.shardFiles(position).count == (size > 1000 ? 1 : 0)) }
    }

    @Test("If-Match replaces only the named version; a missing key is NoSuchKey")
    func ifMatch() async throws {
        let fixture = try await ErasureFixture.make()
        defer { fixture.dir.remove() }
        await #expect { _ = try await put(fixture, "k", [1], .etag("00")) } throws: { error in
            (error as? ObjectLayerError)?.code == .noSuchKey
        }
        await #expect(throws: ObjectLayerError.self) { _ = try await fixture.store.headObject(bucket: "b", key: "k") }
        let first = try await put(fixture, "k", [1, 2, 3], nil)
        let second = try await put(fixture, "k", [4, 5], .etag(first.etag))
        do {
            _ = try await put(fixture, "k", [6], .etag(first.etag))
            Issue.record("a stale If-Match succeeded")
        } catch let error as ObjectLayerError {
            #expect(error.code == .preconditionFailed)
        }
        #expect(try await fixture.get("k") == [4, 5])
        _ = try await put(fixture, "k", [7], .etag(second.etag))
        #expect(try await fixture.get("k") == [7])
    }
}
