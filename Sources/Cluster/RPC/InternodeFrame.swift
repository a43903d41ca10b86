package import NIOCore
package import StowageCore

/// One message of the internode protocol, a request or its answer.
///
/// A connection starts with the client's `preface`, then frames both ways. On the wire a frame
/// is a 16-byte header — message length and data length (u32 each), request id (u32), drive
/// slot (u16), operation and status (a byte each), little-endian — then the message (an encoded
/// `DriveRPC.Call` or `Reply`, a failure, or a text) and the data (raw shard bytes, or empty).
/// Answers carry their request's id, so one connection carries many calls at once and answers
/// may come in any order.
package struct InternodeFrame: Sendable {
    /// The first bytes a client sends, naming the protocol version (nodes of a cluster run one;
    /// a node of another version is not understood and its connections fail). 2: object records
    /// of format version 5 (with the multipart upload id); 3: grouped changes (`Call.group`);
    /// 4: fenced reads (`read-object` with a `fence`).
    package static let preface: [UInt8] = Array("STOWAGE-RPC/4\r\n".utf8)
    static let headerSize = 16
    /// Larger frames close the connection: no call needs more (shard blocks and listing pages are smaller).
    static let maxPartSize = 80 << 20
    /// The operation of the first frame of a connection: its authentication.
    static let helloOperation: UInt8 = 0xFF

    package enum Status: UInt8, Sendable {
        /// A request, or an answer that succeeded.
        case ok = 0
        /// The drive raised an error: the message is its code and detail.
        case driveError = 1
        /// The call was not served (not authenticated, drive not here or offline, malformed): the message is why.
        case refused = 2
    }

    package var id: UInt32
    package var slot: UInt16
    package var operation: UInt8
    package var status: Status
    package var message: ByteBuffer
    package var data: ByteBuffer

    package init(id: UInt32, slot: UInt16, operation: UInt8, status: Status = .ok, message: ByteBuffer, data: ByteBuffer) {
        self.id = id
        self.slot = slot
        self.operation = operation
        self.status = status
        self.message = message
        self.data = data
    }

    /// An answer to `request`.
    static func answer(to request: InternodeFrame, _ status: Status, message: ByteBuffer, data: ByteBuffer = ByteBuffer())
        -> InternodeFrame
    {
        InternodeFrame(
            id: request.id, slot: request.slot, operation: request.operation, status: status, message: message, data: data)
    }

    /// The header and message as one buffer; the data follows as a second write, uncopied.
    func head(allocator: ByteBufferAllocator) -> ByteBuffer {
        var out = allocator.buffer(capacity: Self.headerSize + message.readableBytes)
        out.writeInteger(UInt32(message.readableBytes), endianness: .little)
        out.writeInteger(UInt32(data.readableBytes), endianness: .little)
        out.writeInteger(id, endianness: .little)
        out.writeInteger(slot, endianness: .little)
        out.writeInteger(operation)
        out.writeInteger(status.rawValue)
        out.writeImmutableBuffer(message)
        return out
    }

    /// Writes the frame to `context` (on its event loop), flushing it at once unless `flush` is false.
    func write(to context: ChannelHandlerContext, flush: Bool = true) {
        context.write(NIOAny(head(allocator: context.channel.allocator)), promise: nil)
        if data.readableBytes > 0 { context.write(NIOAny(data), promise: nil) }
        if flush { context.flush() }
    }

    /// A drive error as a message.
    static func failure(_ error: DriveError) -> ByteBuffer {
        var w = BinaryRecordWriter()
        w.string(error.code.rawValue)
        w.string(error.detail)
        return ByteBuffer(bytes: w.bytes)
    }

    /// The drive error a `driveError` answer carries.
    var driveError: DriveError {
        var r = BinaryRecordReader(ArraySlice(message.readableBytesView))
        guard let code = try? r.string(), let detail = try? r.string() else {
            return DriveError(.io, "an undecodable drive error")
        }
        return DriveError(DriveError.Code(rawValue: code) ?? .io, detail)
    }

    var text: String { String(decoding: message.readableBytesView, as: UTF8.self) }
}

/// Flushes a connection once per turn of its event loop: frames written in the same turn (a
/// fan-out's calls to one node, answers finishing together) leave in one system call.
/// Used on the connection's event loop only.
final class CoalescedFlush {
    private var scheduled = false

    /// Writes `frame` and makes sure a flush follows after the tasks already queued on the loop.
    func write(_ frame: InternodeFrame, to context: ChannelHandlerContext) {
        frame.write(to: context, flush: false)
        guard !scheduled else { return }
        scheduled = true
        let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            bound.value.0.scheduled = false
            bound.value.1.flush()
        }
    }
}

/// Splits the byte stream into frames; a frame over the size limit is an error (the connection closes).
struct InternodeFrameDecoder: ByteToMessageDecoder {
    typealias InboundOut = InternodeFrame

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard buffer.readableBytes >= InternodeFrame.headerSize,
            let messageLength = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: UInt32.self),
            let dataLength = buffer.getInteger(at: buffer.readerIndex + 4, endianness: .little, as: UInt32.self)
        else { return .needMoreData }
        guard Int(messageLength) <= InternodeFrame.maxPartSize, Int(dataLength) <= InternodeFrame.maxPartSize else {
            throw DriveError(.io, "internode frame too large")
        }
        guard buffer.readableBytes >= InternodeFrame.headerSize + Int(messageLength) + Int(dataLength) else {
            return .needMoreData
        }
        buffer.moveReaderIndex(forwardBy: 8)
        let id = buffer.readInteger(endianness: .little, as: UInt32.self)!
        let slot = buffer.readInteger(endianness: .little, as: UInt16.self)!
        let operation = buffer.readInteger(as: UInt8.self)!
        let statusByte = buffer.readInteger(as: UInt8.self)!
        let message = buffer.readSlice(length: Int(messageLength))!
        let data = buffer.readSlice(length: Int(dataLength))!
        guard let status = InternodeFrame.Status(rawValue: statusByte) else { throw DriveError(.io, "internode frame status") }
        context.fireChannelRead(
            NIOAny(InternodeFrame(id: id, slot: slot, operation: operation, status: status, message: message, data: data)))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}
