using System.Text;

namespace Orchestrator.Worker.Execution;

/// <summary>
/// Splits a task's parameter string into arguments the way a POSIX shell splits words — whitespace
/// separates, single quotes keep everything literal, double quotes keep spaces, backslash escapes —
/// but with no expansion of any kind: the result is an argv, never given to a shell.
/// </summary>
public static class AppArguments
{
    /// <summary>The arguments, or an error for an unterminated quote or trailing backslash.</summary>
    public static bool TrySplit(string text, out IReadOnlyList<string> arguments, out string error)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new List<string>();
        var current = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quote == '\'')
            {
                if (c == '\'') quote = null;
                else current.Append(c);
                continue;
            }

            if (c == '\\' && quote != '\'')
            {
                if (i + 1 >= text.Length)
                {
                    arguments = [];
                    error = "the parameters end with a lone backslash";
                    return false;
                }

                current.Append(text[++i]);
                inWord = true;
                continue;
            }

            if (quote == '"')
            {
                if (c == '"') quote = null;
                else current.Append(c);
                continue;
            }

            if (c is '\'' or '"')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    result.Add(current.ToString());
                    current.Clear();
                    inWord = false;
                }
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }

        if (quote is not null)
        {
            arguments = [];
            error = $"the parameters have an unterminated {quote} quote";
            return false;
        }

        if (inWord)
        {
            result.Add(current.ToString());
        }

        arguments = result;
        error = string.Empty;
        return true;
    }
}
