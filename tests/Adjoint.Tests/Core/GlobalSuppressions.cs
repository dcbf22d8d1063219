using System.Diagnostics.CodeAnalysis;

// Literal arrays as expected values read best inline; these tests run once, so caching them buys nothing.
[assembly: SuppressMessage("Performance", "CA1861:Avoid constant arrays as arguments", Scope = "namespaceanddescendants", Target = "~N:Adjoint.Tests.Core")]
