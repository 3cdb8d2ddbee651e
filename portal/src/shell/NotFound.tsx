/** An address that names no screen (a mistyped or old link, or one the caller's role does not open). */
export function NotFound({ path, home }: { path: string; home: string }) {
  return (
    <section aria-labelledby="not-found-title">
      <h1 id="not-found-title">Page not found</h1>
      <p>
        There is no screen at <code>#{path}</code>, or it is not open to your role.
      </p>
      <p>
        <a href={`#${home}`}>Go to Reports</a>
      </p>
    </section>
  );
}
