// netstandard2.0 lacks what records and init accessors compile to.
namespace System.Runtime.CompilerServices
{
    internal static class IsExternalInit
    {
    }
}
