using System.Buffers.Binary;
using System.Text;

namespace ClaMP3.ML.Onnx;

/// <summary>
/// A protobuf message under construction: fields are appended in the order written (so the bytes are deterministic),
/// nested messages and large byte blocks are kept by reference and only copied once, when the message is written.
/// </summary>
/// <remarks>Why hand-written: ONNX needs only a few message types (ModelProto, GraphProto, NodeProto, TensorProto,
/// ValueInfoProto, AttributeProto, OperatorSetIdProto); the field numbers are those of onnx.proto. Sizes are computed
/// before writing, so a 1 GB initializer is never buffered twice.</remarks>
internal sealed class ProtoMessage
{
    private readonly List<object> _parts = new(); // byte[] (already encoded) or (byte[] header, ProtoMessage | ReadOnlyMemory<byte>)
    private long? _size;

    private void Add(object part) { _parts.Add(part); _size = null; }

    public ProtoMessage Varint(int field, long value)
    {
        var buffer = new List<byte>(12);
        WriteVarint(buffer, (ulong)(field << 3));
        WriteVarint(buffer, (ulong)value);
        Add(buffer.ToArray());
        return this;
    }

    public ProtoMessage Float(int field, float value)
    {
        var buffer = new List<byte>(6);
        WriteVarint(buffer, (ulong)((field << 3) | 5));
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.AddRange(bytes.ToArray());
        Add(buffer.ToArray());
        return this;
    }

    public ProtoMessage String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    public ProtoMessage Bytes(int field, ReadOnlyMemory<byte> value)
    {
        Add(new LengthDelimited(Header(field, value.Length), value));
        return this;
    }

    public ProtoMessage Message(int field, ProtoMessage message)
    {
        Add(new LengthDelimited(Header(field, message.Size), message));
        return this;
    }

    public long Size => _size ??= _parts.Sum(p => p switch
    {
        byte[] b => b.LongLength,
        LengthDelimited d => d.Header.LongLength + d.BodyLength,
        _ => throw new InvalidOperationException(),
    });

    public void WriteTo(Stream stream)
    {
        foreach (var part in _parts)
        {
            if (part is byte[] b) { stream.Write(b); continue; }
            var d = (LengthDelimited)part;
            stream.Write(d.Header);
            if (d.Body is ProtoMessage m) m.WriteTo(stream);
            else stream.Write(((ReadOnlyMemory<byte>)d.Body).Span);
        }
    }

    private sealed record LengthDelimited(byte[] Header, object Body)
    {
        public long BodyLength => Body is ProtoMessage m ? m.Size : ((ReadOnlyMemory<byte>)Body).Length;
    }

    private static byte[] Header(int field, long length)
    {
        var buffer = new List<byte>(12);
        WriteVarint(buffer, (ulong)((field << 3) | 2));
        WriteVarint(buffer, (ulong)length);
        return buffer.ToArray();
    }

    private static void WriteVarint(List<byte> buffer, ulong value)
    {
        while (value >= 0x80)
        {
            buffer.Add((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.Add((byte)value);
    }
}
