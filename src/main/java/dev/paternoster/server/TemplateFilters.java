package dev.paternoster.server;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.AdvancedFilter;
import com.hubspot.jinjava.lib.filter.Filter;
import com.hubspot.jinjava.lib.tag.Tag;
import com.hubspot.jinjava.tree.Node;
import com.hubspot.jinjava.tree.TagNode;
import java.util.Map;

/** Filters and tags that HuggingFace chat templates use and Jinjava lacks or spells differently. */
final class TemplateFilters {
  private TemplateFilters() {}

  /** {@code tojson} with Python's separators and an optional {@code indent}, see {@link PythonJson}. */
  static final class ToJson implements AdvancedFilter {
    @Override
    public String getName() {
      return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
      Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
      Integer ind = indent instanceof Number n ? n.intValue() : indent != null ? Integer.valueOf(indent.toString().trim()) : null;
      return PythonJson.dumps(var, ind);
    }
  }

  /** Jinja2's {@code {% filter name %}...{% endfilter %}}: applies a filter to the rendered body. */
  static final class FilterBlock implements Tag {
    @Override
    public String getName() {
      return "filter";
    }

    @Override
    public String getEndTagName() {
      return "endfilter";
    }

    @Override
    public String interpret(TagNode tagNode, JinjavaInterpreter interpreter) {
      StringBuilder body = new StringBuilder();
      for (Node child : tagNode.getChildren()) body.append(child.render(interpreter).getValue());
      Object value = body.toString();
      for (String name : tagNode.getHelpers().trim().split("\\s*\\|\\s*")) {
        if (name.isEmpty()) continue;
        Filter f = interpreter.getContext().getFilter(name);
        if (f == null) throw new IllegalArgumentException("unknown filter '" + name + "' in {% filter %}");
        value = f.filter(value, interpreter);
      }
      return String.valueOf(value);
    }
  }
}
