using System.Text;

namespace ClaMP3.ML.Preprocessing.Midi;

/// <summary>A MIDI message as mido 1.3.0 holds it: a type name, attribute values in mido's <c>vars()</c> order
/// (type and time excluded) and a time in ticks. Channel/system messages come from <see cref="MessageSpec"/>,
/// meta messages from <see cref="MetaSpec"/>; an unknown meta has neither and the values <c>type_byte, data</c>.</summary>
internal sealed class MidoMessage
{
    public MidoMessage(MessageSpec spec, MidoValue[] values, long time)
    {
        Type = spec.Type; Spec = spec; Values = values; Time = time;
    }

    public MidoMessage(MetaSpec spec, MidoValue[] values, long time)
    {
        Type = spec.Type; Meta = spec; IsMeta = true; Values = values; Time = time;
    }

    private MidoMessage(string type, MidoValue[] values, long time)
    {
        Type = type; IsMeta = true; Values = values; Time = time;
    }

    /// <summary>mido's <c>UnknownMetaMessage(type_byte, data)</c>.</summary>
    public static MidoMessage UnknownMeta(int typeByte, int[] data, long time) =>
        new("unknown_meta", [MidoValue.FromInt(typeByte), MidoValue.FromTuple(data)], time);

    public string Type { get; }
    public bool IsMeta { get; }
    public MessageSpec? Spec { get; }
    public MetaSpec? Meta { get; }
    public bool IsUnknownMeta => IsMeta && Meta is null;
    public MidoValue[] Values { get; }
    public long Time { get; set; }
    /// <summary>Set when an MTF line gave a time that is not a whole number (a float in Python): saving then fails.</summary>
    public bool TimeIsFloat { get; set; }

    public MidoMessage WithTime(long time)
    {
        var copy = (MidoMessage)MemberwiseClone();
        copy.Time = time;
        return copy;
    }

    /// <summary><c>" ".join(str(v) for v in msg.dict().values())</c>: channel messages put the time first, metas last.</summary>
    public void AppendDictValues(StringBuilder sb)
    {
        sb.Append(Type);
        if (!IsMeta) sb.Append(' ').Append(Time);
        foreach (var v in Values)
        {
            sb.Append(' ');
            v.AppendTo(sb);
        }
        if (IsMeta) sb.Append(' ').Append(Time);
    }

    public override string ToString()
    {
        var sb = new StringBuilder();
        AppendDictValues(sb);
        return sb.ToString();
    }
}

/// <summary>A failure with the text CPython's <c>str(exception)</c> gives (<see cref="PythonMessage"/>, the text the
/// official scripts log) and, where that text alone is cryptic, where it happened (<see cref="Detail"/>).</summary>
internal sealed class MidoException : Exception
{
    public MidoException(string pythonType, string pythonMessage, string? detail = null)
        : base(Compose(pythonType, pythonMessage, detail))
    {
        PythonType = pythonType; PythonMessage = pythonMessage; Detail = detail;
    }

    public string PythonType { get; }
    public string PythonMessage { get; }
    public string? Detail { get; }

    public MidoException WithDetail(string detail) =>
        new(PythonType, PythonMessage, Detail is null ? detail : Detail + "; " + detail);

    private static string Compose(string type, string message, string? detail)
    {
        string head = message.Length == 0 ? type : message;
        return detail is null ? head : $"{head} [{detail}]";
    }

    public static MidoException Value(string message, string? detail = null) => new("ValueError", message, detail);
    public static MidoException Type(string message, string? detail = null) => new("TypeError", message, detail);
}
