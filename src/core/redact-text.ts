/**
 * Masks what looks like personal data in free text from outside (Braze error messages, parser errors)
 * before it goes into a dead-letter header or a log line: email addresses, and runs of digits long enough
 * to be a phone number or an identifier.
 */
export function redactText(text: string, maxChars = 200): string {
  const masked = text
    .replace(/[^\s"'<>()[\]{},;:]+@[^\s"'<>()[\]{},;:]+/g, '[email]')
    .replace(/\+?\d[\d\s().-]{5,}\d/g, '[number]');
  return masked.length > maxChars ? `${masked.slice(0, maxChars)}…` : masked;
}
