using System.Formats.Asn1;

namespace Orchestrator.Attestation.Pki;

/// <summary>Reads an X.509 Time (UTCTime or GeneralizedTime).</summary>
internal static class Asn1Time
{
    public static DateTimeOffset Read(AsnReader reader)
    {
        var tag = reader.PeekTag();
        if (tag.HasSameClassAndValue(Asn1Tag.UtcTime))
        {
            return reader.ReadUtcTime();
        }

        if (tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime))
        {
            return reader.ReadGeneralizedTime();
        }

        throw new AsnContentException($"expected a Time, found tag {tag}");
    }

    public static bool IsTime(Asn1Tag tag) =>
        tag.HasSameClassAndValue(Asn1Tag.UtcTime) || tag.HasSameClassAndValue(Asn1Tag.GeneralizedTime);
}
