using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Orchestrator.Deployment.Tests;

/// <summary>
/// No method in src/ is longer than <see cref="MaxLines"/> lines (its body, braces included, as Roslyn
/// parses it): a longer one is split into named steps that read as the algorithm.
/// </summary>
public sealed class MethodLengthTests
{
    private const int MaxLines = 80;

    [Fact]
    public void No_method_in_src_is_over_80_lines()
    {
        var files = Directory.EnumerateFiles(Repository.PathOf("src"), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files found under src/");

        var tooLong = files
            .SelectMany(f => LongMethods(File.ReadAllText(f)).Select(m => $"{Path.GetRelativePath(Repository.Root, f)}:{m.Name}:{m.Lines}"))
            .ToList();
        Assert.True(tooLong.Count == 0, $"methods over {MaxLines} lines (file:method:lines): {string.Join(", ", tooLong)}");
    }

    [Fact]
    public void The_measure_names_a_long_method_a_long_accessor_and_a_long_local_function_and_passes_a_short_one()
    {
        var body = string.Concat(Enumerable.Repeat("        _ = 1;\n", MaxLines - 1)); // with its two braces: MaxLines + 1 lines
        var source = $$"""
            class C
            {
                void Long()
                {
            {{body}}    }

                void Short() { }

                int Property
                {
                    get
                    {
            {{body}}        }
                }

                void Outer()
                {
                    void Inner()
                    {
            {{body}}        }
                }
            }
            """;
        Assert.Equal(["Long:81", "get:81", "Outer:84", "Inner:81"], LongMethods(source).Select(m => $"{m.Name}:{m.Lines}"));
    }

    /// <summary>Every method, constructor, operator, accessor and local function whose body spans more than <see cref="MaxLines"/> lines.</summary>
    private static IEnumerable<(string Name, int Lines)> LongMethods(string source)
    {
        foreach (var node in CSharpSyntaxTree.ParseText(source).GetRoot().DescendantNodes())
        {
            var (name, body) = node switch
            {
                MethodDeclarationSyntax m => (m.Identifier.Text, (SyntaxNode?)m.Body ?? m.ExpressionBody),
                ConstructorDeclarationSyntax c => (c.Identifier.Text + " (constructor)", (SyntaxNode?)c.Body ?? c.ExpressionBody),
                BaseMethodDeclarationSyntax o => (o.Kind().ToString(), (SyntaxNode?)o.Body ?? o.ExpressionBody),
                AccessorDeclarationSyntax a => (a.Keyword.Text, (SyntaxNode?)a.Body ?? a.ExpressionBody),
                LocalFunctionStatementSyntax l => (l.Identifier.Text, (SyntaxNode?)l.Body ?? l.ExpressionBody),
                _ => (string.Empty, null),
            };
            if (body is null)
            {
                continue;
            }

            var span = body.GetLocation().GetLineSpan();
            var lines = span.EndLinePosition.Line - span.StartLinePosition.Line + 1;
            if (lines > MaxLines)
            {
                yield return (name, lines);
            }
        }
    }
}
