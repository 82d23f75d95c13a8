//! Chinese words for the values the API keeps in English.

/// The Chinese for a stored value, or the value itself.
pub fn zh(value: &str) -> &str {
    match value {
        "male" => "男",
        "female" => "女",
        "health" => "卫生健康",
        "education" => "教育",
        "agriculture" => "农业农村",
        "other" => "其他",
        "member" => "委员",
        "standing_member" => "常委",
        "vice_chair" => "副主席",
        "chair" => "主席",
        "part_time" => "兼职",
        "attachment" => "挂职",
        "active" => "办理中",
        "completed" => "已办结",
        "create" => "发起",
        "withdraw" => "撤回",
        _ => value,
    }
}

/// The Chinese for a validation message of the model (which speaks English to
/// the API), so that the form says what is wrong in the user's language.
pub fn zh_message(message: &str) -> String {
    let number = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
    };
    if message == "is required" || message.starts_with("is required to ") {
        return "必填".into();
    }
    if message == "must not be empty" {
        return "不能为空".into();
    }
    if message.starts_with("must be a phone number") {
        return "请填写正确的电话号码（7至20位数字）".into();
    }
    if message == "must be an e-mail address" {
        return "请填写正确的电子邮箱".into();
    }
    if message.starts_with("must be one of") {
        return "请从列表中选择".into();
    }
    if message.starts_with("must be a date") {
        return "请填写日期（年-月-日）".into();
    }
    if message == "must be an integer" {
        return "请填写整数".into();
    }
    if message == "must be one line without control characters" {
        return "只能填写一行，且不含特殊字符".into();
    }
    if message == "must not contain control characters" {
        return "含有不允许的字符".into();
    }
    if message == "must be in the future" {
        return "须晚于当前时间".into();
    }
    if message.starts_with("must be a time in RFC 3339") {
        return "请填写正确的时间".into();
    }
    if message.starts_with("must list 1 to") {
        return "请至少选择一个".into();
    }
    if message == "cannot be changed after creation" {
        return "提交后不能修改".into();
    }
    if let Some(n) = number("must be at most ") {
        return if message.ends_with("characters") {
            format!("最多{n}个字")
        } else {
            format!("不能大于{n}")
        };
    }
    if let Some(n) = number("must be at least ") {
        return format!("不能小于{n}");
    }
    message.to_string()
}

#[cfg(test)]
mod tests {
    use super::zh_message;

    #[test]
    fn model_messages_in_chinese() {
        assert_eq!(zh_message("is required"), "必填");
        assert_eq!(zh_message("must be at most 50 characters"), "最多50个字");
        assert_eq!(zh_message("must be at most 2010"), "不能大于2010");
        assert_eq!(zh_message("must be at least 1930"), "不能小于1930");
        assert!(zh_message("must be a phone number (7 to 20 digits, '+', '-' or spaces)").contains("电话"));
        assert_eq!(zh_message("something new"), "something new");
    }
}
